"""The public API's names, listed once: `bert_keras.api` exports them, and the package
root reaches them there on first use (`bert_keras.NAME`), without loading TensorFlow for
`import bert_keras`."""

API_NAMES = (
    "BertKerasError",
    "BestTrial",
    "CacheSpec",
    "Columns",
    "DataSpec",
    "Datasets",
    "Encoder",
    "ExportResult",
    "FreezeSpec",
    "ModelSpec",
    "OptimizerSpec",
    "PlacementSpec",
    "SearchResult",
    "ThresholdSpec",
    "TrainConfig",
    "TrainResult",
    "build_classifier",
    "evaluate",
    "export",
    "export_model",
    "load_encoder",
    "load_predictor",
    "make_datasets",
    "predict",
    "text_classifier",
    "train",
    "tune",
)
