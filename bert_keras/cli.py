"""The `bert-keras` command line. Each subcommand is a thin shell over the package.

Bad input raises UserInputError anywhere below; `main` prints it as one line
and exits with status 2, with no traceback.
"""
import argparse
import contextlib
import json
import os
import sys
import time

from bert_keras.errors import SearchFailed, SelfCheckFailed, TrainingDiverged, UserInputError
from bert_keras.config import PRECISIONS



class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise UserInputError(message)


def _silence_native_stderr():
    """Sends what TensorFlow's C++ runtime writes to file descriptor 2 (oneDNN
    notices, CUDA probing, kernel fallbacks) to /dev/null: it is not for our
    users and would bury our one-line errors. Python's stderr (our messages,
    warnings, tracebacks) keeps the terminal. BERT_KERAS_DEBUG=1 shows all."""
    if os.environ.get("BERT_KERAS_DEBUG"):
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = os.fdopen(terminal, "w", buffering=1)


def add_freeze_flags(parser):
    group = parser.add_argument_group("freezing (see `bert-keras layers`)")
    group.add_argument("--train-last", type=int, metavar="K",
                       help="train only the last K blocks (plus pooler and head)")
    group.add_argument("--freeze-first", type=int, metavar="N", help="freeze blocks 0..N-1")
    group.add_argument("--freeze-regex", metavar="RE", help="freeze sub-layers/variables matching RE")
    group.add_argument("--train-regex", metavar="RE", help="keep sub-layers/variables matching RE trainable")
    group.add_argument("--train-embeddings", action="store_true",
                       help="train the embeddings even when blocks are frozen")


def freeze_spec_from_args(args):
    from bert_keras.freezing.spec import FreezeSpec
    return FreezeSpec(train_last=args.train_last, freeze_first=args.freeze_first,
                      freeze_regex=args.freeze_regex, train_regex=args.train_regex,
                      train_embeddings=args.train_embeddings)


def cmd_convert(args):
    from bert_keras.encoders.convert import convert
    start = time.perf_counter()
    out = convert(args.hf_dir, args.out_dir, seq_length=args.seq_length)
    print(f"wrote {out}/encoder and {out}/preprocessor in {time.perf_counter() - start:.1f}s")


def cmd_encoders(args):
    from pathlib import Path
    from bert_keras.encoders.builtin import BUILTIN_ENCODERS, builtin_cache_dir
    from bert_keras.encoders.layout import METADATA_FILE
    for name, builtin in BUILTIN_ENCODERS.items():
        cache = builtin_cache_dir(name)
        metadata = cache / METADATA_FILE
        if metadata.is_file():
            parameters = json.loads(metadata.read_text(encoding="utf-8"))["parameters"]
            size = sum(f.stat().st_size for f in Path(cache).rglob("*") if f.is_file())
            print(f"{name}  {parameters:,} parameters  {builtin.description}\n"
                  f"    cached in {cache} ({size / 2**20:.0f} MiB)")
        else:
            print(f"{name}  {builtin.description}\n"
                  f"    not built yet; first use converts it into {cache}")


def cmd_check(args):
    """Loads an encoder as users will (hub.KerasLayer) and embeds a few sentences."""
    import numpy as np
    import tensorflow as tf
    import tensorflow_hub as hub
    from bert_keras.training.classifier import bert_outputs
    from bert_keras.encoders.resolve import load_preprocessor, load_saved_model, resolve_encoder
    paths = resolve_encoder(args.encoder)
    start = time.perf_counter()
    preprocessor = load_preprocessor(paths)
    encoder = hub.KerasLayer(load_saved_model(paths.encoder, "--encoder"))
    load_seconds = time.perf_counter() - start
    sentences = args.sentences or ["This product is great!", "I love this product.",
                                   "Terrible. It broke after one day."]
    inputs = preprocessor.bert_pack_inputs([preprocessor.tokenize(tf.constant(sentences))])
    outputs = bert_outputs(encoder, inputs, args.encoder)
    mask = tf.cast(inputs["input_mask"], tf.float32)[:, :, None]  # [batch, seq, 1]
    mean = tf.reduce_sum(outputs["sequence_output"] * mask, 1) / tf.reduce_sum(mask, 1)
    mean = tf.math.l2_normalize(mean, axis=1).numpy()  # [batch, hidden]
    print(json.dumps(dict(
        encoder=args.encoder, path=paths.encoder, blocks=len(outputs.get("encoder_outputs", [])),
        hidden_size=int(mean.shape[1]), load_seconds=round(load_seconds, 2),
        sentences=sentences, cosine_similarity=np.round(mean @ mean.T, 4).tolist()), indent=2))


def cmd_layers(args):
    from bert_keras.training.classifier import build_classifier
    from bert_keras.encoders.resolve import resolve_encoder
    from bert_keras.freezing.table import format_table, layer_rows
    spec = freeze_spec_from_args(args)  # rejects contradictions before any loading
    model = build_classifier(resolve_encoder(args.encoder).encoder, spec)
    print(format_table(layer_rows(model), spec))


def add_data_flags(parser):
    parser.add_argument("--data", help="amazon_polarity (TFDS, the default), its .tgz, "
                                       "a folder with train.csv/test.csv, or a file")
    parser.add_argument("--test-data", help="test file when --data is a single file")
    parser.add_argument("--text-fields", choices=["title_content", "content"],
                        help="title and content joined (default), or content only")
    parser.add_argument("--on-bad-record", choices=["error", "skip"],
                        help="stop at a bad record (default) or skip and count it")
    parser.add_argument("--tfds-data-dir", help="where TFDS prepares amazon_polarity")
    parser.add_argument("--tfds-manual-dir", help="folder holding the original archive or its folder")


def train_config_from_args(args):
    from bert_keras.config import TrainConfig
    defaults = TrainConfig(out=args.out)
    flags = ("train_last", "freeze_first", "freeze_regex", "train_regex")
    given = any(getattr(args, f, None) is not None for f in flags) or getattr(args, "train_embeddings", False)
    freeze = freeze_spec_from_args(args) if given else defaults.freeze
    values = {name: getattr(args, name) for name in defaults.to_dict()
              if name not in ("freeze", "out") and getattr(args, name, None) is not None}
    return TrainConfig(out=args.out, freeze=freeze, **values)


def add_training_flags(parser):
    parser.add_argument("--encoder", help="built-in name, directory or TF Hub handle (default minilm-l6)")
    add_data_flags(parser)
    parser.add_argument("--train-split", help="TFDS split string, e.g. 'train[:10000]'")
    parser.add_argument("--limit", type=int, help="use only the first N training records")
    parser.add_argument("--validation-split", type=float, help="fraction held out (default 0.1)")
    parser.add_argument("--max-seq-length", type=int, help="tokens per example (default 128)")
    parser.add_argument("--epochs", type=int, help="default 1")
    parser.add_argument("--batch-size", type=int, help="global batch (default 32)")
    parser.add_argument("--learning-rate", type=float, help="peak AdamW rate (default 1e-4)")
    parser.add_argument("--weight-decay", type=float, help="decoupled weight decay (default 0.01)")
    parser.add_argument("--warmup-fraction", type=float, help="of all steps (default 0.1)")
    parser.add_argument("--clip-norm", type=float, help="global gradient norm (default 1.0)")
    parser.add_argument("--dropout", type=float, help="before the head (default 0.1)")
    parser.add_argument("--seed", type=int, help="default 42")
    parser.add_argument("--strategy", choices=["auto", "one_device", "mirrored", "multi_worker", "tpu"])
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="float32 (default), or bfloat16 products with float32 weights: faster on CPUs "
                             "with AMX or AVX512-BF16, TPUs and recent GPUs, slower elsewhere")
    parser.add_argument("--overwrite", action="store_true", help="discard what the output directory holds")


def cmd_tune(args):
    from bert_keras.tuning.search import run_search
    base = train_config_from_args(args)
    with _progress_on_stderr():
        summary = run_search(base, args.out, blocks=args.blocks, oracle_name=args.oracle,
                             max_trials=args.max_trials, overwrite=args.overwrite,
                             space_flags=dict(tune_learning_rate=args.tune_learning_rate,
                                              tune_dropout=args.tune_dropout,
                                              tune_embeddings=args.tune_embeddings),
                             export_best=args.export_best)
    print(json.dumps(summary, indent=2))


def _progress_on_stderr():
    """Keras and Keras Tuner print progress on stdout; ours carries only the JSON result."""
    return contextlib.redirect_stdout(sys.stderr)


def cmd_train(args):
    from bert_keras.training.train import train
    with _progress_on_stderr():
        metrics = train(train_config_from_args(args), overwrite=args.overwrite)
    print(json.dumps(metrics, indent=2))


def cmd_evaluate(args):
    from bert_keras.training.evaluate import evaluate
    with _progress_on_stderr():
        result = evaluate(args.model, args)
    print(json.dumps(result, indent=2))


def cmd_export(args):
    from bert_keras.serving.export import export
    with _progress_on_stderr():
        result = export(args.run_dir, args.out, args.precision)
    for signature, ops in result["required_ops"].items():
        print(f"{signature}: needs {', '.join(ops) if ops else 'core TensorFlow ops only'}", file=sys.stderr)
    print(json.dumps(result, indent=2))


def cmd_predict(args):
    from bert_keras.serving.predict import predict
    predict(args.model, args.reviews, args.file, args.batch_size)


def build_parser():
    parser = _Parser(prog="bert-keras", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    convert = commands.add_parser("convert", help="HuggingFace BERT checkpoint -> TF Hub-format SavedModels")
    convert.add_argument("hf_dir", metavar="HF_DIR", help="with config.json, model.safetensors, vocab.txt")
    convert.add_argument("out_dir", metavar="OUT_DIR", help="new directory for encoder/ and preprocessor/")
    convert.add_argument("--seq-length", type=int, default=128, help="the preprocessor's default")
    convert.set_defaults(run=cmd_convert)

    encoders = commands.add_parser("encoders", help="list the built-in encoders and their cache")
    encoders.set_defaults(run=cmd_encoders)

    check = commands.add_parser("check", help="load an encoder through hub.KerasLayer and embed sentences")
    check.add_argument("--encoder", default="minilm-l6", help="built-in name, directory or TF Hub handle")
    check.add_argument("sentences", nargs="*", help="sentences to embed (default: three examples)")
    check.set_defaults(run=cmd_check)

    layers = commands.add_parser("layers", help="the sub-layer table under a freeze specification")
    layers.add_argument("--encoder", default="minilm-l6", help="built-in name, directory or TF Hub handle")
    add_freeze_flags(layers)
    layers.set_defaults(run=cmd_layers)
    train = commands.add_parser("train", help="fine-tune on Amazon Polarity under a freeze specification")
    train.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory (resumable)")
    add_training_flags(train)
    add_freeze_flags(train)
    train.set_defaults(run=cmd_train)

    tune = commands.add_parser("tune", help="Keras Tuner search over how many blocks to train")
    tune.add_argument("--out", required=True, metavar="TUNE_DIR", help="search directory (resumable)")
    add_training_flags(tune)
    tune.add_argument("--oracle", default="random", choices=["random", "bayesian", "grid", "hyperband"])
    tune.add_argument("--max-trials", type=int, default=5)
    tune.add_argument("--blocks", type=int, nargs="+", metavar="K",
                      help="trainable-block counts to try (default: 0 to the encoder's depth)")
    tune.add_argument("--tune-learning-rate", action="store_true", help="also search 3e-5, 1e-4, 3e-4")
    tune.add_argument("--tune-dropout", action="store_true", help="also search head dropout 0, 0.1, 0.2")
    tune.add_argument("--tune-embeddings", action="store_true", help="also search whether embeddings train")
    tune.add_argument("--export-best", metavar="NAME",
                      help="train the best trial on the full training split, export to saved_models/NAME")
    tune.set_defaults(run=cmd_tune)

    evaluate = commands.add_parser("evaluate", help="metrics of a trained run on a data source, as JSON")
    evaluate.add_argument("--model", required=True, help="a run directory")
    add_data_flags(evaluate)
    evaluate.set_defaults(run=cmd_evaluate)

    export = commands.add_parser("export", help="a run's best weights as a TF Serving SavedModel version")
    export.add_argument("run_dir", metavar="RUN_DIR")
    export.add_argument("--out", required=True, metavar="saved_models/NAME", help="the model directory")
    export.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="of the serving graph, whatever the run trained in (default float32)")
    export.set_defaults(run=cmd_export)

    predict = commands.add_parser("predict", help="reviews -> JSON lines of probability and label")
    predict.add_argument("--model", required=True, help="an export version, or its model directory (newest)")
    predict.add_argument("reviews", nargs="*", help="reviews to score")
    predict.add_argument("--file", help="one review a line")
    predict.add_argument("--batch-size", type=int, default=64)
    predict.set_defaults(run=cmd_predict)
    return parser


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except UserInputError as error:
        print(f"bert-keras: error: {error}", file=sys.stderr)
        return 2
    except (TrainingDiverged, SearchFailed, SelfCheckFailed) as error:
        print(f"bert-keras: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bert-keras: interrupted", file=sys.stderr)
        return 130
    return 0


def run():
    """The `bert-keras` console script."""
    _silence_native_stderr()
    import logging
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # TF's Python-side chatter
    sys.exit(main())


if __name__ == "__main__":
    run()
