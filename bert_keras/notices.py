"""What bert-keras says while it works: the choices it made for you, what it skipped, and
progress. One line each on standard error (`bert-keras: ...`), through the standard
`logging` logger `bert_keras` at INFO, arguments named as Python names them
(`precision=auto: ...`); the command line writes them as its flags.

A script quiets them with `logging.getLogger("bert_keras").setLevel(logging.WARNING)`, or
sends them elsewhere by replacing the logger's handler.

>>> import contextlib, io
>>> with contextlib.redirect_stderr(io.StringIO()) as stderr:
...     say("frozen prefix: caching the output of the frozen blocks 0-3")
>>> stderr.getvalue()
'bert-keras: frozen prefix: caching the output of the frozen blocks 0-3\\n'
"""

import logging
import sys

LOGGER = logging.getLogger("bert_keras")


class _StandardError(logging.Handler):
    """Writes each line to the `sys.stderr` of the moment (tests and notebooks replace it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr, flush=True)
        except Exception:  # logging's own contract: a failed line never stops the work
            self.handleError(record)


def say(message: str) -> None:
    """One line on what bert-keras is doing or chose: `bert-keras: {message}`."""
    LOGGER.info(message)


if not LOGGER.handlers:
    _handler = _StandardError()
    _handler.setFormatter(logging.Formatter("bert-keras: %(message)s"))
    LOGGER.addHandler(_handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False  # absl's handler on the root logger would print it again
