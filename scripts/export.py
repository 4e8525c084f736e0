"""Export a finished run for TF Serving: the next version of MODEL_DIR (text in) and of
MODEL_DIR-token-ids (core TensorFlow ops only), each checked in a fresh process before it
appears. The public API only; prints the versions and the check as JSON.

    python scripts/export.py runs/demo saved_models/sentiment [--precision float32]
"""

import argparse
import json
import sys

import bert_keras as bk


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("model_dir")
    parser.add_argument("--precision", default="float32")
    args = parser.parse_args(argv)
    try:
        result = bk.export(args.run_dir, args.model_dir, precision=args.precision)
    except bk.BertKerasError as error:
        print(f"export.py: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
