"""Every kind of bad input, through the CLI: one line naming the flag, file or line,
exit status 2, nothing on stdout, nothing half-written, nothing of the user's touched.
And the valid but unusual (CRLF, a byte-order mark, a header row) just works."""

import argparse
import json
import shlex
import shutil

import pytest
import tiny_tfds  # noqa: F401  (registers the tiny TFDS datasets the cases name)
from cli_cases import CASES as FLAG_CASES
from cli_input_cases import INPUT_CASES
from odd_encoders import write_encoder_without_pooled_output, write_unmappable_encoder
from runs import rewrite_run_config, run_config
from tiny_bert import write_synthetic_reviews, write_tiny_checkpoint
from trees import tree_digest

from bert_keras.cli import build_parser, main

GOOD_LINE = b'"2","Great","works well and I love it"\n'


def odd_encoder(write, directory, tiny_encoder_dir):
    """An odd encoder SavedModel beside a real preprocessor, as `convert` lays them out."""
    write(directory / "encoder")
    shutil.copytree(tiny_encoder_dir / "preprocessor", directory / "preprocessor")
    return directory


def _runs(root, trained_run, other_encoder) -> dict:
    """A finished run of its own, one whose encoder is now another, one unfinished."""
    run = shutil.copytree(trained_run, root / "run")
    replaced = shutil.copytree(run, root / "run_encoder_replaced")
    settings, record = run_config(replaced)
    settings = {**settings, "encoder": str(other_encoder), "out": str(replaced)}
    rewrite_run_config(replaced, settings, record)
    unfinished = shutil.copytree(run, root / "run_unfinished")
    (unfinished / "metrics.json").unlink()
    shutil.rmtree(unfinished / "best")
    return {"run": run, "replaced": replaced, "unfinished": unfinished}


@pytest.fixture(scope="module")
def world(tiny_encoder_dir, deep_encoder_dir, trained_run, tmp_path_factory):
    """Paths the cases below refer to as {name}."""
    root = tmp_path_factory.mktemp("bad_input")
    data = write_synthetic_reviews(root / "data", n_train=120, n_test=20)
    files = {
        "bad_utf8.csv": GOOD_LINE + b'"1","caf\xe9","latin-1"\n',
        "empty.csv": b"",
        "afile": b"plain file",
        "good.csv": GOOD_LINE * 2 + b'"1","Bad","broke in a day"\n' * 2,
        "positives.csv": GOOD_LINE * 4,
        "reviews_latin1.txt": b"fine\ncaf\xe9 au lait\n",
        "reviews_empty.txt": b"",
        "reviews_blank_line.txt": b"fine\n \ngood\n",
        "zero_one.csv": b'"1","Fine","good"\n"0","Broke","bad"\n' * 3,
        "mostly_bad.csv": GOOD_LINE + b'"3","x","y"\n' * 2,
        "topics.csv": b"id,review,topic\n"
        + b"1,great works,praise\n2,broke,complaint\n3,costs money,price\n" * 10,
        "topics_unseen.csv": b"id,review,topic\n1,great,praise\n2,a refund,refund\n",
        # with --validation-split 0.5, records 1, 3, 5, ... are validation: "rare" is never trained
        "tags.jsonl": b'{"text": "a b", "label": ["x", "y"]}\n{"text": "b", "label": ["y"]}\n'
        b'{"text": "c", "label": []}\n' + b'{"text": "d", "label": ["x"]}\n' * 4,
        "rare.csv": b"text,label\ngood,a\nodd one,rare\n" + b"good,a\ngood,a\nbad,b\nbad,b\n" * 2,
    }
    for name, content in files.items():
        (root / name).write_bytes(content)
    (root / "damaged").mkdir()
    (root / "damaged" / "amazon_review_polarity_csv.tgz").write_bytes(b"not an archive")
    (root / "not_saved_model").mkdir()
    (root / "not_saved_model" / "notes.txt").write_text("mine")
    truncated = root / "truncated_encoder"
    shutil.copytree(tiny_encoder_dir / "encoder", truncated)
    graph = (truncated / "saved_model.pb").read_bytes()
    (truncated / "saved_model.pb").write_bytes(graph[: len(graph) // 2])
    (root / "garbage_export" / "1").mkdir(parents=True)
    (root / "garbage_export" / "1" / "saved_model.pb").write_bytes(b"\x00" * 100)
    foreign, foreign_config = root / "foreign", root / "foreign_config"
    foreign.mkdir(), foreign_config.mkdir()
    (foreign / "notes.txt").write_text("the user's own notes")
    (foreign_config / "config.json").write_text(json.dumps({"learning_rate": 1}))
    # the tiny encoder's SavedModel without what `convert` records beside it
    (root / "bare").mkdir()
    (root / "bare" / "encoder").symlink_to(tiny_encoder_dir / "encoder")
    return {
        "root": root,
        "encoder": tiny_encoder_dir,
        "bare": root / "bare" / "encoder",
        "data": data,
        **_runs(root, trained_run, deep_encoder_dir),
        "foreign": foreign,
        "foreign_config": foreign_config,
        "truncated": truncated,
        "hf": write_tiny_checkpoint(root / "hf"),
        "no_pooled": odd_encoder(
            write_encoder_without_pooled_output, root / "no_pooled", tiny_encoder_dir
        ),
        "unmappable": odd_encoder(write_unmappable_encoder, root / "unmappable", tiny_encoder_dir),
        **{name.split(".")[0]: root / name for name in files},
        "not_saved_model": root / "not_saved_model",
        "garbage_export": root / "garbage_export",
    }


CASES = {**FLAG_CASES, **INPUT_CASES}
CASES_ARGV = [argv for argv, _ in CASES.values()]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_touches_nothing(
    case, world, tmp_path, capsys, monkeypatch
):
    template, expected = CASES[case]
    paths = {**{k: str(v) for k, v in world.items()}, "out": str(tmp_path / "out")}
    argv = [part.format(**paths) for part in shlex.split(template)]
    monkeypatch.setenv("TF_CONFIG", "{not json" if case == "TF_CONFIG not JSON" else "")
    before = {
        name: tree_digest(world["root"] / name) for name in ("foreign", "foreign_config", "run")
    }
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 2, captured.err
    errors = [line for line in captured.err.splitlines() if line.startswith("bert-keras: error: ")]
    # One line; only TFDS's own progress messages, on stderr too, may come before it.
    assert len(errors) == 1 and captured.err.splitlines()[-1] == errors[0], captured.err
    assert "Traceback" not in captured.err and expected.format(**paths) in errors[0], captured.err
    assert captured.out == ""
    assert not (tmp_path / "out").exists(), "nothing half-written"
    assert {name: tree_digest(world["root"] / name) for name in before} == before, (
        "the user's files untouched"
    )
    assert (world["root"] / "afile").read_bytes() == b"plain file"


def test_every_flag_that_takes_a_number_has_a_row():
    """A new numeric flag comes with its bad-input row. tune's training flags are train's,
    validated by the same TrainConfig, so train's rows stand for them."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for command, subparser in commands.choices.items():
        for action in subparser._actions:
            flag = (action.option_strings or [None])[0]
            if action.type not in (int, float) or flag is None:
                continue
            rows = [argv for argv in map(shlex.split, CASES_ARGV) if flag in argv]
            if not any(
                argv[0] in (command, "train" if command == "tune" else command) for argv in rows
            ):
                missing.append(f"{command} {flag}")
    assert missing == []


def test_version_and_every_commands_example_parse(capsys):
    from bert_keras import __version__
    from bert_keras.cli.parser import EXAMPLES, build_parser

    parser = build_parser()
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out == f"bert-keras {__version__}\n"
    for name, command in parser._subparsers._group_actions[0].choices.items():
        assert f"example:\n  {EXAMPLES[name]}" in command.format_help()
        argv = shlex.split(EXAMPLES[name])
        assert argv[:2] == ["bert-keras", name]
        assert parser.parse_args(argv[1:]).command == name  # the example is a valid call


def test_parsing_and_checking_flags_loads_no_tensorflow():
    """`--help`, a bad flag or a bad value is answered before TensorFlow's seconds of loading:
    the parser and the settings' checks import nothing heavy."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from bert_keras.cli import build_parser\n"
        "from bert_keras.cli.commands import train_settings_from_args\n"
        "from bert_keras.config import TrainConfig\n"
        "args = build_parser().parse_args(['train', '--out', 'r', '--epochs', '3'])\n"
        "TrainConfig.from_settings(**train_settings_from_args(args))\n"
        "heavy = ('tensorflow', 'tf_keras', 'tensorflow_hub')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
