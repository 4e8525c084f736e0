"""Fine-tune a BERT encoder where it runs fastest: one GPU, several (mirrored), a cluster
(multi_worker, from TF_CONFIG) or a TPU (named by TPU_NAME). The public API only; prints
the run's metrics as JSON. Run it again and it resumes.

    python scripts/train.py --data reviews.csv --out runs/demo \\
        [--encoder minilm-l6] [--strategy auto|mirrored|multi_worker|tpu] [--train-last K] \\
        [--epochs auto|N] [--batch-size 32] [--learning-rate R] [--precision auto] \\
        [--jit-compile auto|on|off]

What is not given is the library's default recipe (`bert_keras.train`'s): `--epochs auto`
trains until the validation score stops improving.

Strings stay on the host: tokenizing runs in tf.data, token ids reach the accelerator;
`--precision auto` computes in mixed_bfloat16 where the device multiplies bfloat16 quickly;
`--jit-compile auto` compiles the training step with XLA on a TPU or GPU.
"""

import argparse
import json
import sys

import bert_keras as bk


def whole_or_auto(text: str) -> int | str:
    """`--epochs`: a whole number, or a word for the library to take (auto) or refuse."""
    return int(text) if text.isdigit() else text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--encoder", default="minilm-l6")
    parser.add_argument("--strategy", default="auto")
    parser.add_argument("--train-last", type=int)
    parser.add_argument("--epochs", type=whole_or_auto, help="N, or auto (the default)")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--jit-compile", default="auto")
    args = parser.parse_args(argv)
    try:
        given = dict(
            epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate
        )
        if args.train_last is not None:
            given["freeze"] = bk.FreezeSpec(train_last=args.train_last)
        result = bk.train(
            args.out,
            args.data,
            encoder=args.encoder,
            strategy=args.strategy,
            precision=args.precision,
            jit_compile=args.jit_compile,
            verbose=2,
            **{name: value for name, value in given.items() if value is not None},
        )
    except bk.BertKerasError as error:
        print(f"train.py: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict()))  # the last line of stdout; progress comes before it
    return 0


if __name__ == "__main__":
    sys.exit(main())
