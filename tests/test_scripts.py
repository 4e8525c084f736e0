"""Each script under scripts/ run as its documentation shows, on the tiny encoder and a
few reviews (integration: each runs its trainings in processes of its own). The numbers
they print are the benchmarks' business; here, that they run and print what they say."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
BENCHMARKS = SCRIPTS / "benchmarks"


def run_benchmark(name: str, *argv) -> subprocess.CompletedProcess:
    command = [sys.executable, str(BENCHMARKS / name), *map(str, argv)]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def json_of(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def reviews(trained_run):
    return json.loads((trained_run / "config.json").read_text())["settings"]["data"]


def test_bench_freezing_times_each_trainable_depth(tiny_encoder_dir):
    flags = ["--batch-size", 4, "--seq-length", 16, "--warmup", 1, "--steps", 2]
    result = json_of(
        run_benchmark(
            "bench_freezing.py", "--encoder", tiny_encoder_dir, *flags, "--trainable-blocks", 0, 2
        )
    )
    assert set(result["train_step_seconds"]) == set(result["trainable_params"]) == {"0", "2"}
    assert result["trainable_params"]["0"] < result["trainable_params"]["2"]


def test_benchmark_train_runs_cached_and_inline_side_by_side(tiny_encoder_dir, reviews):
    flags = ["--epochs", 2, "--batch-size", 8, "--precision", "float32"]
    result = json_of(
        run_benchmark(
            "benchmark_train.py", "--encoder", tiny_encoder_dir, "--data", reviews, *flags
        )
    )
    assert set(result["runs"]) == {"float32 cache", "float32 inline"}
    cached, inline = result["runs"]["float32 cache"], result["runs"]["float32 inline"]
    assert len(cached["epoch_seconds"]) == len(inline["epoch_seconds"]) == 2
    # the same mathematics in float32 (tests/frozen_prefix/test_source.py): the same F1
    assert cached["test_f1"] == pytest.approx(inline["test_f1"], abs=1e-5)
    assert cached["cache"]["mode"] == "cache"
    ratios = result["ratios"]["float32"]
    assert ratios["test_f1_difference"] == 0
    assert ratios["epochs_after_the_first"] == [
        pytest.approx(cached["epoch_seconds"][1] / inline["epoch_seconds"][1], abs=2e-3)
    ]


def test_benchmark_train_compares_recipes(tiny_encoder_dir, reviews):
    recipes = ["--recipes", "1", "0,2:epochs=2"]
    result = json_of(
        run_benchmark(
            "benchmark_train.py",
            "--encoder",
            tiny_encoder_dir,
            "--data",
            reviews,
            "--epochs",
            1,
            *recipes,
        )
    )
    assert result["runs"]["1"]["trainable_blocks"] == [1] and result["runs"]["1"]["epochs"] == 1
    assert result["runs"]["0,2:epochs=2"]["trainable_blocks"] == [0, 2]
    assert result["runs"]["0,2:epochs=2"]["epochs"] == 2
    bad = run_benchmark("benchmark_train.py", "--recipes", "two")
    assert bad.returncode == 2 and "--recipes two: must be K or K1,K2" in bad.stderr


def test_benchmark_tune_runs_the_grid_cached_and_inline(tiny_encoder_dir, reviews):
    result = json_of(
        run_benchmark(
            "benchmark_tune.py",
            "--encoder",
            tiny_encoder_dir,
            "--data",
            reviews,
            "--blocks",
            0,
            2,
            "--precision",
            "float32",
        )
    )
    for mode in ("cache", "inline"):
        assert [t["trainable_blocks"] for t in result[mode]["trials"]] == [0, 2]
    seconds = result["cache"]["search_seconds"] / result["inline"]["search_seconds"]
    assert result["ratio_search_seconds"] == pytest.approx(seconds, abs=2e-3)
    # float32: each trial's mathematics is the same cached or inline, so is the best depth
    assert result["same_best_depth"] is True
    assert result["cache"]["best_blocks"] == result["inline"]["best_blocks"]


def test_benchmark_predict_scores_every_review_both_ways(exported, reviews):
    _, model_dir = exported
    result = json_of(
        run_benchmark(
            "benchmark_predict.py",
            "--model",
            model_dir,
            "--data",
            f"{reviews}/test.csv",
            "--batch-size",
            16,
        )
    )
    assert result["reviews"] == 40 and result["batch_size"] == 16  # the run's 40 test reviews
    assert (
        result["max_abs_difference_text_vs_examples"] <= 1e-6 and result["reviews_per_second"] > 0
    )


def test_benchmark_baselines_refuses_missing_baselines_with_one_line(tmp_path):
    """Its baselines need PyTorch (the Trainer) and KerasHub, which bert-keras does not
    install: without them it says which is missing, and trains nothing."""

    def baselines():
        return run_benchmark(
            "benchmark_baselines.py",
            *("--torch-python", "/nonexistent/python", "--keras-hub-path", tmp_path),
        )

    result = baselines()
    assert result.returncode == 2 and result.stdout == ""
    assert f"--keras-hub-path {tmp_path}: no keras_hub package in it" in result.stderr
    (tmp_path / "keras_hub").mkdir()
    result = baselines()
    assert result.returncode == 2
    assert "--torch-python /nonexistent/python: not an executable" in result.stderr


def test_benchmark_commits_trains_each_commit_in_turn(tiny_encoder_dir, reviews):
    """HEAD against itself (a shallow clone may hold no other commit): the worktrees come and
    go, each run is its own process, and the same commit gives the same F1."""
    flags = ["--", "--batch-size", 8, "--max-seq-length", 32, "--precision", "float32"]
    result = json_of(
        run_benchmark(
            "benchmark_commits.py",
            "HEAD",
            "HEAD",
            "--runs",
            1,
            "--encoder",
            tiny_encoder_dir,
            "--data",
            reviews,
            *flags,
        )
    )
    assert result["commits"] == {"base": "HEAD", "head": "HEAD"}
    assert [len(result["runs"][side]) for side in ("base", "head")] == [1, 1]
    assert result["f1_difference"] == 0 and result["cpu"]
    listed = subprocess.run(["git", "worktree", "list"], capture_output=True, text=True)
    assert listed.stdout.count("\n") == 1  # the checkout alone: the worktrees were removed


def test_the_cache_build_benchmark_measures_build_and_forward(tiny_encoder_dir, reviews):
    argv = ["--encoder", tiny_encoder_dir, "--data", reviews, "--boundaries", "1", "0,2"]
    result = json_of(run_benchmark("benchmark_cache_build.py", *argv, "--runs", 1))
    assert [(r["commit"], r["boundaries"]) for r in result["results"]] == [
        ("head", "1"),
        ("head", "0,2"),
    ]
    # the deepest boundary's states: 1 in the first row, 2 in the second; the same reviews
    (shallow,), (deep,) = (row["runs"] for row in result["results"])
    assert shallow["examples"] == deep["examples"] == 200  # the run's training reviews
    assert shallow["tokens"] == deep["tokens"]
    assert shallow["checksum"] != deep["checksum"]
    for row in result["results"]:
        assert row["build_over_forward"] == pytest.approx(
            row["build_seconds"] / row["forward_seconds"],
            rel=0.05,  # of unrounded seconds
        )


def test_roofline_counts_the_products_as_its_formula_does(tiny_encoder_dir, reviews, trained_run):
    argv = ["--encoder", tiny_encoder_dir, "--data", reviews, "--train-last", 1, "--batch-size", 8]
    result = json_of(run_benchmark("roofline.py", *argv, "--run", trained_run))
    check = result["formula_check"]
    assert check["counted"] == check["formula"] > 0  # the graph's own products, counted
    flops = result["gflop_per_review"]
    assert flops["inline"] == pytest.approx(flops["evaluation"] * (2 + 2) / 2, rel=0.01)
    (run,) = result["runs"]
    assert run["precision"] == "float32"  # the run's own, as its config.json records
    metrics = json.loads((trained_run / "metrics.json").read_text())
    evaluation = run["evaluation"]
    assert evaluation["reviews_per_second"] == pytest.approx(
        metrics["eval_examples_per_second"], abs=0.05
    )
    ceiling = result["ceiling_reviews_per_second"]["float32"]["evaluation"]
    assert evaluation["of_ceiling"] == pytest.approx(
        metrics["eval_examples_per_second"] / ceiling, abs=2e-3
    )


def test_the_int8_routes_benchmark_measures_each_route_against_float32(trained_run, reviews):
    argv = ["--run", trained_run, "--data", Path(reviews) / "test.csv", "--requests", 12]
    result = json_of(run_benchmark("benchmark_int8_formats.py", *argv, "--reviews", 32))
    routes = result["routes"]
    assert {"tensorflow_float32", "litert_float32", "litert_int8"} <= set(routes)
    assert routes["tensorflow_float32"]["max_abs_difference"] == 0.0  # the reference itself
    assert routes["litert_float32"]["max_abs_difference"] <= 1e-5
    assert 0 < routes["litert_int8"]["max_abs_difference"] <= 1e-2  # int8: near, not equal
    assert all(route["batch_1_p50_ms"] > 0 for route in routes.values())
