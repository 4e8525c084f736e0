"""Freezing a `hub.KerasLayer`: the specification, the encoder's sub-layers read off its
variable names, the layer that honours the specification, and the table that shows it."""
