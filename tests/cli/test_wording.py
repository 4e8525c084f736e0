"""Below the command line the library names arguments as Python does (`name=value`,
`name` in backquotes); the command line writes them as its flags."""

import ast
import re
from pathlib import Path

from bert_keras.cli.parser import build_parser
from bert_keras.cli.wording import as_flags, long_options

PACKAGE = Path(__file__).resolve().parents[2] / "bert_keras"
# Modules whose messages still name flags: the list only shrinks (see the last test).
STILL_WORDED_AS_FLAGS = {
    "data/amazon_polarity.py",
    "data/records.py",
    "data/sources.py",
    "data/tfds_source.py",
    "encoders/builtin.py",
    "encoders/convert.py",
    "encoders/precision.py",
    "encoders/precision_choice.py",
    "frozen_prefix/plan.py",
    "serving/export.py",
    "serving/predict.py",
    "training/job.py",
    "training/layers_table.py",
    "training/train.py",
    "tuning/results.py",
    "tuning/search.py",
}


def test_every_option_is_written_back_as_its_flag():
    options = long_options(build_parser())
    assert options["train_last"] == "--train-last" and options["run_dir"] == "RUN_DIR"
    for name, flag in options.items():
        assert as_flags(f"{name}=5: too many", options) == f"{flag} 5: too many"
        assert as_flags(f"`{name}` and `{name}`", options) == f"{flag} and {flag}"
    assert as_flags("a path/out=3 and f1=0.5 stay", options) == "a path/out=3 and f1=0.5 stay"


def _messages(path: Path) -> list[str]:
    """The module's string constants, docstrings aside."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]


def test_the_library_below_the_command_line_names_no_flag():
    flags = {flag for flag in long_options(build_parser()).values() if flag.startswith("--")}
    pattern = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*(?![\w-])")
    worded_as_flags = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "cli"
        and any(set(pattern.findall(text)) & flags for text in _messages(path))
    }
    assert worded_as_flags == STILL_WORDED_AS_FLAGS
