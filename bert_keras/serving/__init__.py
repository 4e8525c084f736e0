"""TF Serving: the serving signatures, `export` (checked in a fresh process), and `predict`."""
