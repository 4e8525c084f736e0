"""`bert-keras layers`: what a freeze specification (and an unfreeze schedule, and a
layer-wise learning-rate decay) does to a model, one row per sub-layer."""

import dataclasses

from bert_keras.freezing.sublayers import (
    HEAD,
    block_range,
    encoder_depth,
    group_sublayers,
    variable_name,
)
from bert_keras.training.classifier import ENCODER_LAYER, build_classifier
from bert_keras.training.layer_rates import rate_multiplier


def mode_note(frozen_prefix: int | None) -> str:
    """How the frozen sub-layers run while the model trains."""
    if frozen_prefix is None:
        return (
            "Note: frozen sub-layers are not updated, but this encoder is one hub.KerasLayer "
            "call: every block follows the same training flag, so frozen blocks still apply "
            "dropout while training."
        )
    return (
        f"Note: the frozen {block_range(frozen_prefix)} run in inference mode (no dropout), "
        "as when serving; their output can be computed once (frozen_prefix=cache)."
    )


@dataclasses.dataclass(frozen=True)
class Row:
    block: int | None
    name: str
    parameters: int
    trainable_parameters: int
    rate_multiplier: float  # of the learning rate (`layer_lr_decay`)
    start_epoch: int | None  # the first epoch (0-based) it trains in; None: never

    @property
    def status(self) -> str:
        if self.trainable_parameters == 0:
            return "frozen"
        return "trainable" if self.trainable_parameters == self.parameters else "partial"


def layer_rows(model, layer_lr_decay: float = 1.0, phases=None) -> list[Row]:
    """One row per encoder sub-layer and one for the head, counted from the model's
    own trainable weights (what the optimizer will actually update), with the
    multiplier of the learning rate each trains at and, under an unfreeze schedule's
    `phases` (`TrainConfig.phases()`), the epoch it starts training in."""
    encoder = model.get_layer(ENCODER_LAYER)
    encoder_ids = {id(v) for v in encoder.weights}
    head = [v for v in model.weights if id(v) not in encoder_ids]
    sizes = {variable_name(v): v.shape.num_elements() for v in model.weights}
    trainable = {variable_name(v) for v in model.trainable_weights}
    sublayers = group_sublayers(encoder.weights, head)
    depth = encoder_depth(sublayers)
    starts = {
        s.name: 0 for s in sublayers if s.name == HEAD or any(v in trainable for v in s.variables)
    }
    for first, _, freeze in phases or ():
        frozen = encoder.frozen_under(freeze, encoder.weights)
        starts.update(
            {
                s.name: first
                for s in sublayers
                if s.name not in starts and any(v not in frozen for v in s.variables)
            }
        )
    return [
        Row(
            sublayer.block,
            sublayer.name,
            sublayer.parameters,
            sum(sizes[name] for name in sublayer.variables if name in trainable),
            rate_multiplier(sublayer.name, depth, layer_lr_decay),
            starts.get(sublayer.name),
        )
        for sublayer in sublayers
    ]


def layers_report(encoder_path: str, config) -> str:
    """The table `bert-keras layers` prints for a TrainConfig's freezing, schedule and decay."""
    phases = config.phases() if config.optimizer.unfreeze_schedule else None
    spec = phases[0][2] if phases else config.freeze  # as epoch 0 trains
    model = build_classifier(encoder_path, spec, pooling=config.model.pooling)
    return format_table(
        layer_rows(model, config.optimizer.layer_lr_decay, phases),
        spec,
        model.get_layer(ENCODER_LAYER).frozen_prefix,
        scheduled=phases is not None,
    )


def embeddings_note(spec) -> str | None:
    """What an index selector does to the embeddings, which no block number names."""
    if spec is None or not spec.has_index:
        return None
    if spec.train_embeddings:
        return "Embeddings train: `train_embeddings`."
    return (
        "Embeddings are frozen: `train_last` and `freeze_first` freeze them, even when every "
        "block trains, unless `train_embeddings`."
    )


def format_table(
    rows: list[Row], spec=None, frozen_prefix: int | None = None, scheduled: bool = False
) -> str:
    """scheduled: add the epoch (1-based, as Keras counts them) each sub-layer starts training in;
    the status is then epoch 1's."""
    from_epoch = f"  {'from epoch':>10}" if scheduled else ""
    lines = [f"{'index':>5}  {'sub-layer':<22} {'parameters':>12}  {'lr x':>7}{from_epoch}  status"]
    for row in rows:
        index = "-" if row.block is None else str(row.block)
        # one never trained has no rate
        rate = "-" if row.start_epoch is None else f"{row.rate_multiplier:.4g}"
        start = "-" if row.start_epoch is None else str(row.start_epoch + 1)
        from_epoch = f"  {start:>10}" if scheduled else ""
        lines.append(
            f"{index:>5}  {row.name:<22} {row.parameters:>12,}  {rate:>7}{from_epoch}  {row.status}"
        )
    total = sum(r.parameters for r in rows)
    trainable = sum(r.trainable_parameters for r in rows)
    lines += [
        "",
        f"trainable {trainable:,} / frozen {total - trainable:,} / total {total:,} parameters",
    ]
    lines += [note for note in (embeddings_note(spec), mode_note(frozen_prefix)) if note]
    return "\n".join(lines)
