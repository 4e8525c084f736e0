"""What a search leaves in TUNE_DIR: trials.csv, best.json and tuning.png."""

import json
from pathlib import Path

from bert_keras.config import TrainConfig
from bert_keras.files.atomic import write_csv_atomic, write_text_atomic
from bert_keras.training.plots import pyplot, save_figure
from bert_keras.tuning.space import trial_config

COLUMNS = [
    "trial",
    "trainable_blocks",
    "unfreeze_schedule",
    "learning_rate",
    "dropout",
    "layer_lr_decay",
    "train_embeddings",
    "val_f1",
    "train_seconds",
    "trainable_params",
    "status",
    "reason",
]


def trial_rows(tuner) -> list[dict]:
    rows = []
    for trial_id, trial in sorted(tuner.oracle.trials.items()):
        config = trial_config(trial.hyperparameters, tuner.base, "")
        metrics_file = tuner.trial_dir(trial_id) / "metrics.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
        status = str(trial.status)
        reason = ""
        if status in ("FAILED", "INVALID") and trial.message:
            reason = [line for line in trial.message.strip().splitlines() if line.strip()][-1]
            reason = reason.split("FailedTrialError: ", 1)[-1]
        score = trial.score if status == "COMPLETED" else None
        given = config.optimizer.unfreeze_schedule
        schedule = ",".join(map(str, given)) if given else "fixed"
        rows.append(
            dict(
                trial=trial_id,
                trainable_blocks=config.freeze.train_last,
                unfreeze_schedule=schedule,
                learning_rate=config.optimizer.learning_rate,
                dropout=config.model.dropout,
                layer_lr_decay=config.optimizer.layer_lr_decay,
                train_embeddings=config.freeze.train_embeddings,
                val_f1=None if score is None else round(score, 4),
                train_seconds=metrics.get("train_seconds"),
                trainable_params=metrics.get("trainable_params"),
                status=status,
                reason=reason,
            )
        )
    return rows


def reproducing_settings(config: TrainConfig) -> dict:
    """The settings that reproduce a configuration, as config.json writes them: `encoder`,
    `data`, `freeze` (its settings that are set), every other setting that differs from its
    default, and `out` last."""
    values = config.flat()
    defaults, out = TrainConfig(out=config.out).flat(), values.pop("out")
    freeze = {k: v for k, v in values.pop("freeze").items() if v is not None and v is not False}
    settings = {"encoder": values.pop("encoder"), "data": values.pop("data"), "freeze": freeze}
    settings.update((k, v) for k, v in values.items() if v != defaults[k])
    return {**settings, "out": out}


def best_trial_config(tuner, out: Path) -> TrainConfig:
    """The best trial's training configuration, on the full training split, writing to `out`:
    what the trials computed in asked for by name; whether they compiled with XLA left to
    where the best trains (`jit_compile` as asked)."""
    config = trial_config(tuner.oracle.get_best_trials(1)[0].hyperparameters, tuner.base, str(out))
    return config.replace(limit=None, precision=tuner.record.precision)


def write_results(tuner, tune_dir: Path, command_of=None) -> dict | None:
    """Writes trials.csv and tuning.png, and best.json when a trial succeeded: the best
    trial's hyperparameters, the settings that train it on the full split, and with
    `command_of` (settings -> str) the command that does."""
    rows = trial_rows(tuner)
    write_csv_atomic(tune_dir / "trials.csv", rows, COLUMNS)
    completed = [r for r in rows if r["val_f1"] is not None]
    save_figure(tuning_figure(completed), tune_dir / "tuning.png")
    if not completed:
        return None
    best_trial = tuner.oracle.get_best_trials(1)[0]
    config = best_trial_config(tuner, tune_dir / "best_run")
    best = dict(
        trial=best_trial.trial_id,
        val_f1=round(best_trial.score, 4),
        hyperparameters=best_trial.hyperparameters.values,
        settings=reproducing_settings(config),
    )
    if command_of is not None:
        best["command"] = command_of(best["settings"])
    write_text_atomic(tune_dir / "best.json", json.dumps(best, indent=2) + "\n")
    return best


def tuning_figure(rows: list[dict]):
    """tuning.png's figure: validation F1 and training seconds by trainable blocks, a
    point per completed trial. rows: `trial_rows`' completed ones."""
    rows = sorted(rows, key=lambda r: r["trainable_blocks"])
    blocks = [r["trainable_blocks"] for r in rows]
    figure, (f1_axis, time_axis) = pyplot().subplots(1, 2, figsize=(10, 4))
    f1_axis.plot(blocks, [r["val_f1"] for r in rows], marker="o")
    f1_axis.set(xlabel="trainable blocks", ylabel="validation F1", title="quality")
    time_axis.plot(blocks, [r["train_seconds"] or 0 for r in rows], marker="o", color="tab:orange")
    time_axis.set(xlabel="trainable blocks", ylabel="training seconds", title="cost")
    for axis in (f1_axis, time_axis):
        axis.set_xticks(sorted(set(blocks)))
    figure.tight_layout()
    return figure
