"""How many blocks to train: a Keras Tuner grid over the trainable depth, each depth's
frozen prefix computed once for all its trials; the best retrained and exported. The
public API only; prints the search's summary as JSON. Run it again and it resumes.

    python scripts/tune_freeze_depth.py --data reviews.csv --out tune/demo \\
        [--encoder minilm-l6] [--blocks 0 1 2 4 6] [--epochs auto] [--export-best sentiment]

Each trial trains as `bert-keras train` does by default (`--epochs auto`: until its
validation score stops improving), or for `--epochs N`.
"""

import argparse
import json
import sys

import bert_keras as bk


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--encoder", default="minilm-l6")
    parser.add_argument("--blocks", type=int, nargs="+", default=None)
    parser.add_argument("--epochs", default="auto", help="N, or auto (the default)")
    parser.add_argument("--export-best", default=None)
    args = parser.parse_args(argv)
    try:
        result = bk.tune(
            args.out,
            args.data,
            encoder=args.encoder,
            blocks=args.blocks,
            oracle="grid",
            max_trials=len(args.blocks) if args.blocks else 100,
            epochs=int(args.epochs) if args.epochs.isdigit() else args.epochs,  # N, or auto
            export_best=args.export_best,
            verbose=0,
        )
    except bk.BertKerasError as error:
        print(f"tune_freeze_depth.py: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
