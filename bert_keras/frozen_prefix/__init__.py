"""The frozen-prefix cache: the output of the frozen part of the encoder (the embeddings
and the wholly frozen blocks after them) computed once per example, in inference
mode, and kept; each training step then runs only the trainable blocks, the pooler
and the head. What is cached (plan), computing it (build), keeping it (states), and
feeding it to model.fit (pipeline)."""
