"""What the library says while it works: one `bert-keras:` line on the standard error of the
moment, Python's names for arguments; quiet at WARNING; the command line's words only while
`bert-keras` runs."""

import logging

from bert_keras.cli import main
from bert_keras.notices import LOGGER, say


def test_a_notice_is_one_line_on_the_current_stderr_and_logging_quiets_it(capsys):
    say("precision=auto: float32 (no bfloat16 here)")
    assert capsys.readouterr().err == "bert-keras: precision=auto: float32 (no bfloat16 here)\n"
    LOGGER.setLevel(logging.WARNING)
    try:
        say("frozen prefix: caching")
    finally:
        LOGGER.setLevel(logging.INFO)
    assert capsys.readouterr().err == ""


def test_the_command_line_writes_arguments_as_flags_only_while_it_runs(tmp_path, capsys):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("\nGreat.\n")  # line 1 empty: skipped, and said
    argv = ["predict", "--model", str(tmp_path), "--file", str(reviews), "--on-bad-record", "skip"]
    assert main(argv) == 2  # tmp_path holds no export
    assert capsys.readouterr().err.splitlines() == [
        f"bert-keras: skipped 1 empty review(s): --file {reviews}:1",
        f"bert-keras: error: --model {tmp_path}: neither an export version nor a directory of "
        "versions",
    ]
    say(f"skipped 1 empty review(s): file={reviews}:1")  # a script's own call, after the command
    assert capsys.readouterr().err == f"bert-keras: skipped 1 empty review(s): file={reviews}:1\n"
