"""BERT encoders in TF Hub's layout: the architecture, the Keras network and its layers,
the text preprocessor, HuggingFace conversion, built-ins, resolving `encoder`, and
mixed-precision variants."""
