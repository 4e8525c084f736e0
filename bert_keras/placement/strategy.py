"""`strategy`: which tf.distribute strategy trains the model.

auto picks, in order: multi_worker when TF_CONFIG names more than one task, tpu
when TPU_NAME is set, mirrored with more than one GPU, else one_device.
"""

import json
import os

import tensorflow as tf

from bert_keras.errors import UserInputError


def _tf_config() -> dict:
    try:
        return json.loads(os.environ.get("TF_CONFIG") or "{}")
    except json.JSONDecodeError as error:
        raise UserInputError(f"TF_CONFIG: not valid JSON ({error.msg})") from None


def cluster_size() -> int:
    return sum(len(tasks) for tasks in _tf_config().get("cluster", {}).values())


def task() -> tuple[str, int]:
    """This process's (task type, index) in the cluster, ("chief", 0) when alone."""
    spec = _tf_config()
    info = spec.get("task", {})
    return info.get("type", "chief"), int(info.get("index", 0))


def input_shard() -> tuple[int, int]:
    """(this worker's input pipeline, how many there are), as MultiWorkerMirroredStrategy
    numbers them: the chief first, then the workers; (0, 1) alone."""
    cluster = _tf_config().get("cluster", {})
    count = len(cluster.get("chief", [])) + len(cluster.get("worker", []))
    task_type, index = task()
    if task_type == "worker" and "chief" in cluster:
        index += 1
    return (index, count) if count else (0, 1)


def is_chief() -> bool:
    """The chief writes the run's files: the `chief` task, or worker 0 when there is none."""
    task_type, index = task()
    has_chief = "chief" in _tf_config().get("cluster", {})
    return task_type == "chief" or (task_type == "worker" and index == 0 and not has_chief)


def resolve_strategy_name(name: str) -> str:
    if name != "auto":
        return name
    if cluster_size() > 1:
        return "multi_worker"
    if os.environ.get("TPU_NAME"):
        return "tpu"
    return "mirrored" if len(tf.config.list_logical_devices("GPU")) > 1 else "one_device"


def make_strategy(name: str) -> tf.distribute.Strategy:
    name = resolve_strategy_name(name)
    if name == "one_device":
        # The default strategy: one device, GPU 0 when there is one. Not
        # OneDeviceStrategy, which Keras' BackupAndRestore refuses.
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        if cluster_size() < 1:
            raise UserInputError("strategy=multi_worker: TF_CONFIG does not describe a cluster")
        return tf.distribute.MultiWorkerMirroredStrategy()
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
            tpu=os.environ.get("TPU_NAME", "")
        )
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError) as error:
        raise UserInputError(
            f"strategy=tpu: no TPU could be reached ({str(error).splitlines()[0]})"
        ) from None
    return tf.distribute.TPUStrategy(resolver)
