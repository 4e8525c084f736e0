"""The `bert-keras` command line: parsing (`parser`), the commands (`commands`) and, here,
the exit status.

Bad input raises UserInputError anywhere below; `main` prints it as one line, the
arguments it names written as flags (`wording`), and exits with status 2; a failure of
the work (divergence, a failed search or self-check) is status 1. What the library says
while it works (`notices`) reaches the user with its arguments written as flags too.
"""

import os
import sys

from bert_keras.cli.parser import build_parser
from bert_keras.cli.wording import as_flags, long_options
from bert_keras.errors import SearchFailed, SelfCheckFailed, TrainingDiverged, UserInputError
from bert_keras.notices import LOGGER

__all__ = ["build_parser", "main", "run"]


def _silence_native_stderr():
    """Sends what TensorFlow's C++ runtime writes to file descriptor 2 (oneDNN
    notices, CUDA probing, kernel fallbacks) to /dev/null: it is not for our
    users and would bury our one-line errors. Python's stderr (our messages,
    warnings, tracebacks) keeps the terminal. BERT_KERAS_DEBUG=1 shows all."""
    if os.environ.get("BERT_KERAS_DEBUG"):
        return
    sys.stderr.flush()
    terminal, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = os.fdopen(terminal, "w", buffering=1)


def main(argv=None) -> int:
    """Runs one command; returns its exit status: 0, 1 for a failure of the work, 2 for bad
    input."""
    parser = build_parser()
    options = long_options(parser)

    def worded_as_flags(record):
        record.msg, record.args = as_flags(record.getMessage(), options), ()
        return True

    LOGGER.addFilter(worded_as_flags)
    try:
        args = parser.parse_args(argv)
        options.update(long_options(parser, args.command))  # the command's own flags first
        args.options = options  # the commands' own words: what the library names, as flags
        args.run(args)
    except UserInputError as error:
        print(f"bert-keras: error: {as_flags(str(error), options)}", file=sys.stderr)
        return 2
    except (TrainingDiverged, SearchFailed, SelfCheckFailed) as error:
        print(f"bert-keras: {as_flags(str(error), options)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bert-keras: interrupted", file=sys.stderr)
        return 130
    finally:
        LOGGER.removeFilter(worded_as_flags)
    return 0


def run():
    """The `bert-keras` console script."""
    _silence_native_stderr()
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # TF's Python-side chatter
    sys.exit(main())
