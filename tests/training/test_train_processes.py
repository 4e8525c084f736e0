"""`bert-keras train` in separate processes on the tiny encoder: resume after SIGKILL in an
epoch or while a checkpoint is written, and two workers training together."""

import json
import os
import socket
import subprocess
import time

import pytest
from kill import cli, kill_when, kill_while
from runs import (
    assert_same_run,
    history_lines,
    rerun_and_check_it_resumed,
    train_argv,
    uninterrupted_run,
)


@pytest.fixture(scope="session")
def inline_reference(tiny_encoder_dir, kill_reviews, tmp_path_factory):
    """Two inline epochs on the kill tests' data, in one uninterrupted process."""
    extra = ["--epochs", "2", "--frozen-prefix", "inline"]
    return uninterrupted_run(
        tmp_path_factory,
        "inline_reference",
        lambda out: train_argv(tiny_encoder_dir, kill_reviews, out, *extra),
    )


@pytest.mark.integration
def test_sigkill_in_second_epoch_of_an_inline_run_then_same_command_resumes(
    tiny_encoder_dir, kill_reviews, inline_reference, tmp_path
):
    # Dropout stays on: its masks are replayed too (CountedDropout), so the resumed
    # run equals the uninterrupted one exactly, not just approximately. Inline: two
    # epochs would cache the frozen prefix, whose kill test is tests/frozen_prefix/test_source.py's.
    killed = tmp_path / "killed"
    argv = train_argv(
        tiny_encoder_dir, kill_reviews, killed, "--epochs", "2", "--frozen-prefix", "inline"
    )

    def into_the_second_epoch():  # its first epoch backed up: the second one runs
        if not (killed / "backup" / "chief" / "checkpoint").exists():
            return False
        time.sleep(0.1)
        return True

    assert kill_when(cli(*argv), into_the_second_epoch)
    assert len(history_lines(killed)) == 1, "the kill must land in the second epoch"
    assert not (killed / "metrics.json").exists()
    # The resumed process runs the second epoch's 81 steps (648 examples / 8) and nothing else.
    assert rerun_and_check_it_resumed(argv, killed, epochs=2, steps=81) == 1
    assert json.loads((killed / "frozen_prefix.json").read_text())["mode"] == "inline"
    assert_same_run(killed, inline_reference)


@pytest.mark.integration
def test_sigkill_while_a_checkpoint_is_written_then_same_command_finishes(
    wide_encoder_dir, few_reviews, tmp_path_factory, tmp_path
):
    # A wider encoder, so that writing a checkpoint takes long enough to be caught.
    def argv_for(out):
        return train_argv(
            wide_encoder_dir, few_reviews, out, "--epochs", "4", "--max-seq-length", "32"
        )

    out = tmp_path / "killed"

    def writing_checkpoint():  # TensorFlow writes a checkpoint into <prefix>_temp/, then merges
        # it; after the first epoch's backup, so that the rerun has something to resume from
        return (out / "backup" / "chief" / "checkpoint").exists() and (
            any(out.glob("best/*_temp")) or any(out.glob("backup/chief/*_temp"))
        )

    kill_while(cli(*argv_for(out)), writing_checkpoint)
    rerun_and_check_it_resumed(argv_for(out), out, epochs=4, steps=18)  # 144 examples / 8
    assert not list(out.glob("best/*_temp")) and not (out / "backup").exists()
    assert_same_run(out, uninterrupted_run(tmp_path_factory, "wide_reference", argv_for))


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.integration
@pytest.mark.parametrize("frozen_prefix", ["inline", "cache"])  # cache: each worker its shard
def test_two_workers_train_together_to_the_same_weights(
    tiny_encoder_dir, few_reviews, tmp_path, frozen_prefix
):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    processes = []
    for index in range(2):
        task = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(task)}
        extra = ["--strategy", "multi_worker", "--epochs", "2", "--frozen-prefix", frozen_prefix]
        argv = train_argv(tiny_encoder_dir, few_reviews, tmp_path / f"worker{index}", *extra)
        processes.append(
            subprocess.Popen(
                cli(*argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    chief = json.loads((tmp_path / "worker0" / "workers" / "worker-0.json").read_text())
    other = json.loads((tmp_path / "worker1" / "workers" / "worker-1.json").read_text())
    assert chief.keys() == other.keys() and len(chief) > 0
    for name in chief:
        assert chief[name] == pytest.approx(other[name], rel=1e-6), name
    # the chief writes the run's files
    metrics = json.loads((tmp_path / "worker0" / "metrics.json").read_text())
    assert not (tmp_path / "worker1" / "metrics.json").exists()
    assert metrics["frozen_prefix"]["mode"] == frozen_prefix
