"""Reading reviews: record formats, data sources (local files, the TFDS builder), and the
tf.data pipeline that tokenizes and batches them."""
