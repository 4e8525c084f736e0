"""What the whole jobs return: small typed objects, each over the dictionary its job writes
as JSON (what the command line prints), as Keras Tuner returns `Trial` objects."""

import dataclasses
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """A finished training run: where it is and how its best weights score.

    Args:
        out: Path. The run directory.
        f1: float. The F1 of the best weights on the test split (macro-F1 for three labels
            or more, and for multi-label).
        auc: float | None. Their ROC AUC on the test split (None where the run has none).
        epochs_run: int | None. How many epochs (or rounds of a partial epoch) trained;
            None from a worker of a distributed run, which keeps no run of its own.
        best_epoch: int | None. The epoch whose weights were kept, counted from 1; None
            from such a worker.
        stopped: str | None. Why `epochs="auto"` ended the run; None for a fixed count.
        metrics: dict. Everything in the run's metrics.json.

    Example:

    >>> result = TrainResult.from_metrics("runs/demo", {"f1": 0.9, "epochs_run": 3,
    ...                                                 "best_epoch": 2, "auc": 0.95})
    >>> result.f1, result.best_epoch, result.stopped, result.out.name
    (0.9, 2, None, 'demo')
    """

    out: Path
    f1: float
    auc: float | None
    epochs_run: int | None
    best_epoch: int | None
    stopped: str | None
    metrics: dict[str, Any]

    @classmethod
    def from_metrics(cls, out: str | Path, metrics: dict[str, Any]) -> "TrainResult":
        """The result of the run in `out` whose metrics.json holds `metrics`."""
        return cls(
            out=Path(out),
            f1=metrics["f1"],
            auc=metrics.get("auc"),
            epochs_run=metrics.get("epochs_run"),
            best_epoch=metrics.get("best_epoch"),
            stopped=metrics.get("stopped"),
            metrics=metrics,
        )

    def to_dict(self) -> dict[str, Any]:
        """metrics.json's dictionary."""
        return self.metrics


@dataclasses.dataclass(frozen=True)
class BestTrial:
    """The best trial of a search.

    Args:
        trial: str. Its Keras Tuner trial id.
        val_f1: float. Its validation F1, rounded to 4 places.
        hyperparameters: dict. Its values of the search space (`trainable_blocks`, ...).
        settings: dict. The `bert_keras.train` settings that train it on the full split,
            as config.json names them.
        command: str | None. The `bert-keras train` command that does, from the command line.
    """

    trial: str
    val_f1: float
    hyperparameters: dict[str, Any]
    settings: dict[str, Any]
    command: str | None = None

    @property
    def trainable_blocks(self) -> int:
        """How many of the encoder's last blocks the trial trained."""
        return self.hyperparameters["trainable_blocks"]


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """A finished search over how many blocks train (for a worker of a distributed search:
    only what it ran).

    Args:
        trials: Path | None. trials.csv, a row per trial; None for a worker.
        best: BestTrial | None. The best trial; None for a worker.
        best_run: TrainResult | None. With `export_best`: the best trial trained on the
            full split.
        export: str | None. With `export_best`: the export of that run.
        summary: dict. All of it as JSON (best.json's trial under "best").

    Example:

    >>> result = SearchResult.from_summary({"trials": "s/trials.csv", "best": {
    ...     "trial": "1", "val_f1": 0.9, "hyperparameters": {"trainable_blocks": 2},
    ...     "settings": {"freeze": {"train_last": 2}}}})
    >>> result.best.trainable_blocks, result.trials.name, result.best_run
    (2, 'trials.csv', None)
    """

    trials: Path | None
    best: BestTrial | None
    best_run: TrainResult | None
    export: str | None
    summary: dict[str, Any]

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> "SearchResult":
        """The result that `summary` (what the search returned, as JSON) describes."""
        best_run = summary.get("best_run_metrics")
        return cls(
            trials=Path(summary["trials"]) if "trials" in summary else None,
            best=BestTrial(**summary["best"]) if "best" in summary else None,
            best_run=None
            if best_run is None
            else TrainResult.from_metrics(summary["best"]["settings"]["out"], best_run),
            export=summary.get("export"),
            summary=summary,
        )

    def to_dict(self) -> dict[str, Any]:
        """The summary's dictionary."""
        return self.summary


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """A published export: its version and its token-id twin's, and what the check found.

    Args:
        export: Path. The new version's directory (`model_dir`/N).
        version: int. Its number.
        token_ids_export: Path. The token-id twin's directory (`model_dir`-token-ids/N).
        required_ops: dict. Each signature's ops outside core TensorFlow (TF Text's).
        checked_examples: int. How many reviews the loaded export was checked on.
        max_abs_difference: float. Its largest difference from the model in memory.
        int8_export: Path or None. The int8 version's directory (`model_dir`-int8/N), when
            one was asked for.
        summary: dict. All of it as JSON.

    Example:

    >>> result = ExportResult.from_summary({"export": "m/1", "version": 1,
    ...     "token_ids_export": "m-token-ids/1", "required_ops": {"from_token_ids": []},
    ...     "checked_examples": 5, "max_abs_difference": 0.0})
    >>> result.version, str(result.export), result.required_ops["from_token_ids"]
    (1, 'm/1', [])
    """

    export: Path
    version: int
    token_ids_export: Path
    required_ops: dict[str, list[str]]
    checked_examples: int
    max_abs_difference: float
    int8_export: Path | None
    summary: dict[str, Any]

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> "ExportResult":
        """The result that `summary` (what the export returned, as JSON) describes."""
        return cls(
            export=Path(summary["export"]),
            version=summary["version"],
            token_ids_export=Path(summary["token_ids_export"]),
            required_ops=summary["required_ops"],
            checked_examples=summary["checked_examples"],
            max_abs_difference=summary["max_abs_difference"],
            int8_export=Path(summary["int8_export"]) if "int8_export" in summary else None,
            summary=summary,
        )

    def to_dict(self) -> dict[str, Any]:
        """The summary's dictionary."""
        return self.summary
