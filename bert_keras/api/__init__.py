"""The Python API: what a training script is written against.

Build it yourself (`load_encoder`, `build_classifier`, `make_datasets`, then your own
`model.fit`, `export_model`), or run the whole job the command line runs (`train`,
`evaluate`, `export`, `load_predictor`, `predict`, `tune`): checkpoints and resume, the
frozen-prefix cache, schedules, precision and calibration included; they return typed results
(`TrainResult`, `SearchResult`, `ExportResult`), each with the dictionary the command line
prints. Every name here is also `bert_keras.NAME`.

The README's script (run as a test) goes from an encoder to predictions. In short
(`encoder_dir`: a converted encoder of two blocks; `reviews`: a folder with train.csv and
test.csv in the Amazon Polarity release's layout):

>>> encoder = load_encoder(encoder_dir)
>>> encoder.blocks
2
>>> model = build_classifier(encoder, freeze=FreezeSpec(train_last=1))
>>> sorted({w.name.split("/")[1] for w in model.trainable_weights if "transformer/" in w.name})
['layer_1']
>>> data = make_datasets(reviews, encoder, batch_size=8, max_seq_length=32)
>>> token_ids, labels = next(iter(data.train))
>>> sorted(token_ids), model(token_ids).shape == labels.shape, data.labels
(['input_mask', 'input_type_ids', 'input_word_ids'], True, ('negative', 'positive'))
"""

# ruff: noqa: F401  (imported to be exported: `__all__` is `bert_keras.names`' list)
from bert_keras.api.building import (
    Datasets,
    Encoder,
    build_classifier,
    load_encoder,
    make_datasets,
    text_classifier,
)
from bert_keras.api.jobs import export, export_model, train, tune
from bert_keras.api.predicting import load_predictor, predict
from bert_keras.api.results import BestTrial, ExportResult, SearchResult, TrainResult
from bert_keras.config import (
    CacheSpec,
    ModelSpec,
    OptimizerSpec,
    PlacementSpec,
    ThresholdSpec,
    TrainConfig,
)
from bert_keras.data.columns import Columns
from bert_keras.data.spec import DataSpec
from bert_keras.errors import BertKerasError
from bert_keras.evaluation.evaluate import evaluate
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.names import API_NAMES

__all__ = list(API_NAMES)  # listed once, in `bert_keras.names`
