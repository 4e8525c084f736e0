"""A run's checkpoints, and loading them with proof that every variable was restored.

RUN_DIR/best/     the weights of the best validation F1 (TensorFlow's `checkpoint`
                  file names the current one)
RUN_DIR/backup/   BackupAndRestore's state while the run is unfinished

The best weights are kept by variable name, as TF Hub keeps an encoder's: they
load into any model made of the same variables, whatever its inputs (the model
trained on a frozen-prefix cache and the one that reads raw text share them).
TensorFlow quietly skips a variable a checkpoint has no value for: a checkpoint
of another encoder would leave the model with its pretrained values and no word
said. Every load here asserts that each variable of the model found its value.
"""

import re
from pathlib import Path

import tensorflow as tf

from bert_keras.errors import UserInputError
from bert_keras.freezing.sublayers import variable_name

BEST_DIR, BACKUP_DIR = "best", "backup"


def best_checkpoint(run_dir) -> str | None:
    """The prefix of the best weights, or None before the first epoch ended."""
    return tf.train.latest_checkpoint(str(Path(run_dir) / BEST_DIR))


def backup_checkpoint(run_dir) -> str | None:
    """The newest BackupAndRestore checkpoint (the chief's), or None."""
    return tf.train.latest_checkpoint(str(Path(run_dir) / BACKUP_DIR / "chief"))


def _restored(load, prefix: str, what: str):
    """Runs `load(prefix)` and checks its status: one line naming `what` if anything of the
    model is left out."""
    try:
        status = load(prefix)
        status.assert_existing_objects_matched()
    except AssertionError as error:
        missing = sorted(set(re.findall(r"<tf\.Variable '([^':]+)", str(error))))
        examples = ", ".join(missing[:3]) or str(error).splitlines()[0][:200]
        raise UserInputError(
            f"{what}: does not match the model: {len(missing) or 'some'} of its variables "
            f"have no value there ({examples}); was the encoder replaced since?"
        ) from None
    except (ValueError, tf.errors.OpError) as error:
        reason = str(error).strip().splitlines()[0][:300]
        raise UserInputError(f"{what}: cannot be restored into the model ({reason})") from None
    status.expect_partial()  # the optimizer's values stay unused when only weights are wanted


def _by_name(model) -> tf.train.Checkpoint:
    return tf.train.Checkpoint(weights={variable_name(v): v for v in model.weights})


def write_weights(model, prefix: str) -> str:
    """Writes the model's weights keyed by variable name (no optimizer state)."""
    return _by_name(model).write(prefix)


def restore_weights(model, prefix: str, what: str):
    """Loads weights `write_weights` wrote (best/), checking every variable."""
    # read(), not restore(): write() keeps no save counter
    _restored(_by_name(model).read, prefix, what)


def check_backup_fits(model, prefix: str, what: str):
    """Checks that a BackupAndRestore checkpoint restores every variable of `model`
    (Keras' callback restores without asking); restoring twice costs one read."""
    _restored(tf.train.Checkpoint(model=model).restore, prefix, what)


def saved_epoch(prefix: str) -> int:
    """The last epoch (0-based) a BackupAndRestore checkpoint finished."""
    return int(
        tf.train.load_checkpoint(prefix).get_tensor("ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE")
    )
