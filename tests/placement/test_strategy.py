"""tf.distribute from TF_CONFIG: who is in the cluster, who is chief, which strategy `auto`
picks."""

import json

import pytest
import tensorflow as tf

from bert_keras.errors import UserInputError
from bert_keras.placement.strategy import (
    cluster_size,
    is_chief,
    make_strategy,
    resolve_strategy_name,
    task,
)

CLUSTER = {"chief": ["127.0.0.1:1"], "worker": ["127.0.0.1:2", "127.0.0.1:3"]}


def set_tf_config(monkeypatch, cluster=None, task_type=None, index=0):
    spec = {}
    if cluster is not None:
        spec["cluster"] = cluster
    if task_type is not None:
        spec["task"] = {"type": task_type, "index": index}
    monkeypatch.setenv("TF_CONFIG", json.dumps(spec))


def test_alone_is_chief_with_one_device(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("TPU_NAME", raising=False)
    assert (cluster_size(), task(), is_chief()) == (0, ("chief", 0), True)
    assert resolve_strategy_name("auto") == "one_device"
    assert make_strategy("one_device") is tf.distribute.get_strategy()  # the default strategy


@pytest.mark.parametrize(
    "task_type, index, chief", [("chief", 0, True), ("worker", 0, False), ("worker", 1, False)]
)
def test_with_a_chief_task_only_it_writes(monkeypatch, task_type, index, chief):
    set_tf_config(monkeypatch, CLUSTER, task_type, index)
    assert cluster_size() == 3 and task() == (task_type, index) and is_chief() is chief
    assert resolve_strategy_name("auto") == "multi_worker"


def test_without_a_chief_worker_0_writes(monkeypatch):
    set_tf_config(monkeypatch, {"worker": CLUSTER["worker"]}, "worker", 0)
    assert is_chief()
    set_tf_config(monkeypatch, {"worker": CLUSTER["worker"]}, "worker", 1)
    assert not is_chief()


def test_auto_prefers_a_tpu_when_one_is_named(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setenv("TPU_NAME", "my-tpu")
    assert resolve_strategy_name("auto") == "tpu"
    assert resolve_strategy_name("mirrored") == "mirrored"  # an explicit choice wins


def test_bad_cluster_descriptions_are_one_line(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(UserInputError, match="TF_CONFIG: not valid JSON"):
        cluster_size()
    monkeypatch.setenv("TF_CONFIG", "{}")
    with pytest.raises(
        UserInputError, match="strategy=multi_worker: TF_CONFIG does not describe a cluster"
    ):
        make_strategy("multi_worker")
