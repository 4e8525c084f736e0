"""`python -m bert_keras.cli`: the console script, run as a module."""

from bert_keras.cli import run

run()
