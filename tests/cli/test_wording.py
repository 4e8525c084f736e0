"""Below the command line the library names arguments as Python does (`name=value`,
`name` in backquotes); the command line writes them as its flags."""

import re
from pathlib import Path

from bert_keras.cli.parser import build_parser
from bert_keras.cli.wording import as_flags, long_options

PACKAGE = Path(__file__).resolve().parents[2] / "bert_keras"


def test_every_option_is_written_back_as_its_flag():
    options = long_options(build_parser())
    assert options["train_last"] == "--train-last" and options["run_dir"] == "RUN_DIR"
    for name, flag in options.items():
        assert as_flags(f"{name}=5: too many", options) == f"{flag} 5: too many"
        assert as_flags(f"`{name}` and `{name}`", options) == f"{flag} and {flag}"
    assert as_flags("a path/out=3 and f1=0.5 stay", options) == "a path/out=3 and f1=0.5 stay"


def test_the_library_below_the_command_line_names_no_flag():
    """Messages, docstrings and comments alike: only `cli/` knows the command line's flags
    (other tools' flags, pip's `--no-deps` or TF Serving's, are theirs)."""
    flags = {flag for flag in long_options(build_parser()).values() if flag.startswith("--")}
    pattern = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*(?![\w-])")
    worded_as_flags = {
        f"{path.relative_to(PACKAGE)}: {', '.join(sorted(found))}"
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "cli"
        for found in [set(pattern.findall(path.read_text())) & flags]
        if found
    }
    assert worded_as_flags == set()
