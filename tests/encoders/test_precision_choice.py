"""`--precision auto`: the choice per hardware, on described machines and on this one,
and a run that keeps its resolved precision when it resumes elsewhere."""

import json
import os
import shutil
import subprocess

import pytest
from commands import train_argv
from kill import cli, kill_when
from runs import rewrite_run_config, run_config
from this_machine import expected_auto_precision
from tiny_bert import write_synthetic_reviews

from bert_keras.cli import main
from bert_keras.encoders.precision_choice import Hardware, choose, resolve, this_machine

AMX = frozenset({"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})
AVX512_BF16 = frozenset({"avx2", "avx512f", "avx512_bf16"})
AVX2 = frozenset({"avx2", "fma"})


@pytest.mark.parametrize(
    "hardware, expected",
    [
        (Hardware(cpu_flags=AMX), "mixed_bfloat16"),
        (Hardware(cpu_flags=AVX512_BF16), "mixed_bfloat16"),
        (Hardware(cpu_flags=AVX2), "float32"),
        (
            Hardware(cpu_flags=AMX, onednn=False),
            "float32",
        ),  # bfloat16 units TensorFlow would not use
        # oneDNN capped below its bfloat16 kernels (TensorFlow would abort in them)
        (Hardware(cpu_flags=AMX, onednn_max_isa="AVX2"), "float32"),
        (Hardware(cpu_flags=AVX512_BF16, onednn_max_isa="AVX512_CORE"), "float32"),
        (Hardware(cpu_flags=AVX512_BF16, onednn_max_isa="AVX512_CORE_BF16"), "mixed_bfloat16"),
        (Hardware(cpu_flags=AMX, onednn_max_isa="DEFAULT"), "mixed_bfloat16"),
        (Hardware(cpu_flags=AVX2, gpu_capabilities=((8, 0),)), "mixed_bfloat16"),  # A100
        (Hardware(cpu_flags=AVX2, gpu_capabilities=((8, 9),)), "mixed_bfloat16"),  # L4
        (
            Hardware(cpu_flags=AMX, gpu_capabilities=((7, 5),)),
            "mixed_float16",
        ),  # T4: the GPU decides, not the CPU
        (Hardware(cpu_flags=AVX2, gpu_capabilities=((7, 0),)), "mixed_float16"),  # V100
        (Hardware(cpu_flags=AMX, gpu_capabilities=((6, 1),)), "float32"),  # P4
        (
            Hardware(cpu_flags=AVX2, gpu_capabilities=((8, 0), (7, 0))),
            "mixed_float16",
        ),  # the oldest decides
        (Hardware(cpu_flags=AVX2, tpu=True), "mixed_bfloat16"),
        (Hardware(), "float32"),  # nothing known: no bfloat16 assumed
    ],
)
def test_auto_resolves_as_the_hardware_allows(hardware, expected):
    precision, why = choose(hardware)
    assert precision == expected and why
    assert resolve("auto", hardware, rebuildable=True) == (precision, why)


def test_an_explicit_precision_wins_and_a_foreign_encoder_gets_float32():
    assert resolve("mixed_float16", Hardware(cpu_flags=AVX2), rebuildable=True) == (
        "mixed_float16",
        "asked for",
    )
    precision, why = resolve("auto", Hardware(cpu_flags=AMX), rebuildable=False)
    assert precision == "float32" and "not converted by bert-keras" in why


def test_this_machine_is_read_from_the_cpu_and_tensorflow():
    with open("/proc/cpuinfo") as cpuinfo:
        flags = set(
            next(line for line in cpuinfo if line.startswith("flags")).split(":", 1)[1].split()
        )
    machine = this_machine()
    assert machine.cpu_flags == flags and machine.gpu_capabilities == () and not machine.tpu
    assert machine.onednn == (os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0")
    assert machine.onednn_max_isa == os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    assert choose(machine)[0] == expected_auto_precision()


@pytest.mark.integration
def test_a_resumed_run_keeps_its_precision_on_a_machine_that_would_choose_another(
    tiny_encoder_dir, tmp_path
):
    """Killed after its first epoch, the run's config.json is made to say what a machine
    choosing the other precision would have recorded; resumed here, it keeps that one."""
    here = expected_auto_precision()
    elsewhere = "float32" if here == "mixed_bfloat16" else "mixed_bfloat16"
    data = write_synthetic_reviews(tmp_path / "data", n_train=400, n_test=16)
    out = tmp_path / "run"
    argv = cli(*train_argv(tiny_encoder_dir, data, out, "--train-last", "1", "--epochs", "3"))
    assert kill_when(
        argv,
        lambda: (
            (out / "history.csv").is_file()
            and len((out / "history.csv").read_text().splitlines()) >= 2
        ),
    ), "the kill must land after epoch 1"
    settings, record = run_config(out)
    assert record["precision"] == here
    rewrite_run_config(out, settings, {**record, "precision": elsewhere})
    resumed = subprocess.run(argv, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"--precision auto: {elsewhere} (as the run started" in resumed.stderr
    assert run_config(out)[1]["precision"] == elsewhere
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["best_epoch"] >= 1


def test_auto_on_an_encoder_not_converted_trains_in_float32_and_says_why(
    tiny_encoder_dir, tmp_path, capsys
):
    data = write_synthetic_reviews(tmp_path / "data", n_train=40, n_test=8)
    # the tiny encoder's SavedModel without what `convert` records beside it
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "encoder").symlink_to(tiny_encoder_dir / "encoder")
    bare = tmp_path / "bare" / "encoder"
    assert main(train_argv(bare, data, tmp_path / "run", "--train-last", "1")) == 0
    assert run_config(tmp_path / "run")[1]["precision"] == "float32"
    assert (
        "bert-keras: --precision auto: float32 (the encoder was not converted by bert-keras, "
        "so it cannot be rebuilt in mixed precision)"
    ) in capsys.readouterr().err


def test_a_run_written_before_auto_existed_is_the_same_run_with_its_precision(
    trained_run, trained_run_command, tmp_path, capsys
):
    run = shutil.copytree(trained_run, tmp_path / "run")  # trained with --precision float32
    settings, _ = run_config(run)
    # config.json as bert-keras wrote it before `--precision auto`: flat, nothing resolved
    (run / "config.json").write_text(json.dumps({"format": "bert-keras-run/1", **settings}))
    assert main(trained_run_command(run)) == 0, capsys.readouterr().err
    assert "already finished" in capsys.readouterr().err
