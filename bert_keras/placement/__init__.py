"""Where and how a run computes: its tf.distribute strategy (`strategy`), and what it
works out when it starts, its precision and whether its step compiles with XLA
(`resolved`)."""
