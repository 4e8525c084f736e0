"""model_card.md: what an export is, how it was trained, and how to call it."""

CALLS = {
    "serving_default": "`text` (string [batch])",
    "from_examples": (
        "`examples` (serialized tf.Example [batch], bytes features `text` and optional `title`)"
    ),
    "from_token_ids": "`input_word_ids`, `input_mask`, `input_type_ids` (int32 [batch, seq])",
}
CORE_ONLY = "core TensorFlow ops only"


def _returns(config) -> str:
    names = config.label_set.names
    probabilities = (
        f"`probabilities` (float32 [batch, {len(names)}], in the order {', '.join(names)})"
    )
    if config.data.multi_label:
        return (
            f"{probabilities}, `label` (string [batch], the names at or over their thresholds, "
            f"joined by {config.data.columns.label_delimiter!r}), `label_indicator` (int32 [batch, "
            f"{len(names)}])"
        )
    common = f"{probabilities}, `label` (string [batch], the name), `label_index` (int32 [batch])"
    if len(names) > 2:
        return common
    return f"`probability` (float32 [batch], of {names[1]}), {common}"


def _head(config, calibration: dict) -> tuple[str, str]:
    """(the head, how its calibrated output becomes a label)."""
    names, temperature = config.label_set.names, f"{calibration['temperature']:.4g}"
    if config.data.multi_label:
        thresholds = calibration.get("thresholds") or [0.5] * len(names)
        each = ", ".join(f"{n} {t:.4g}" for n, t in zip(names, thresholds, strict=True))
        return f"Dense({len(names)}) and a sigmoid each", (
            f"probabilities = sigmoid(logits / {temperature}); a label is on at or over its "
            f"threshold ({each})"
        )
    if len(names) == 2:
        return "Dense(1) and sigmoid", (
            f"probability = sigmoid(logit / {temperature}), label = {names[1]} where "
            f"probability >= {calibration['threshold']:.4g} ({calibration['threshold_rule']}), "
            f"else {names[0]}"
        )
    return f"Dense({len(names)}) and softmax", (
        f"probabilities = softmax(logits / {temperature}), label = the most probable"
    )


def model_card(
    config, record, metrics: dict, ops: dict, name: str, quality: dict, calibration: dict
) -> str:
    spec = {k: v for k, v in config.freeze.to_dict().items() if v not in (None, False)}
    test = ", ".join(  # a metric the kind of head lacks (precision of three labels) left out
        f"{metric} {metrics.get(key)}"
        for metric, key in (
            ("F1", "f1"),
            ("accuracy", "accuracy"),
            ("AUC", "auc"),
            ("precision", "precision"),
            ("recall", "recall"),
        )
        if key in metrics
    )
    names = config.label_set.names
    returns = _returns(config)
    signatures = "\n".join(
        f"- `{s}`: {CALLS[s]} -> {returns}. Needs: {', '.join(ops[s]) or CORE_ONLY}." for s in ops
    )
    head, rule = _head(config, calibration)
    data, optimizer = config.data, config.optimizer
    epochs = f"{metrics.get('epochs_run', optimizer.epochs)} epoch(s)"
    if optimizer.epochs == "auto" and "epochs_run" in metrics:
        epochs += ", as long as the validation F1 improved"
    request = '{"instances": ["Great product!"]}'
    response = f'{{"predictions": [{{"label": "{names[-1]}", ...}}]}}'
    return f"""# {name}: text classifier (bert-keras), labels {", ".join(names)}

- Encoder: `{config.encoder}`, frozen as {spec or "nothing (full fine-tuning)"}; head: dropout \
{config.model.dropout}, {head}
- Data: `{data.data}` ({data.text_fields}, max {config.model.max_seq_length} tokens), \
{epochs}, batch {optimizer.batch_size}, peak learning rate \
{optimizer.learning_rate}
- Test metrics: {test} (the run, in {record.precision}, at 0.5 before calibration)
- Calibration (assets.extra/calibration.json): {rule}
- Serving: {", ".join(f"{k} {v}" for k, v in quality.items())}

## Calling it

{signatures}

REST: `POST /v1/models/{name}:predict` with `{request}` returns `{response}`.
"""


def int8_model_card(config, quantization: dict, calibration: dict) -> str:
    """model_card.md of an int8 version: what it is, what it scored and how fast it
    answered beside float32, and how to call it."""
    names, (_, rule) = config.label_set.names, _head(config, calibration)
    f1, p50 = quantization["validation_f1"], quantization["batch_1_p50_ms"]
    return f"""# int8 text classifier (bert-keras), labels {", ".join(names)}

- Model: `model.tflite`, {quantization["format"]}; the encoder `{config.encoder}`, \
{quantization["size_bytes"] / 1e6:.1f} MB
- Validation F1 ({quantization["validation_examples"]} reviews): float32 {f1["float32"]}, \
int8 {f1["int8"]} ({quantization["f1_drop_points"]} points lost; at most \
{quantization["int8_max_f1_drop"]} allowed)
- Batch-1 latency from token ids, median of single requests on {quantization["latency_cpu"]}: \
float32 {p50["float32"]} ms, int8 {p50["int8"]} ms
- Calibration (assets.extra/calibration.json): {rule}

## Calling it

`bert-keras predict` and `bert-keras evaluate` take this directory, as they take the float32
export. From Python, `bert_keras.load_predictor(MODEL_DIR)` does the same; underneath,
`tokenizer/` (a SavedModel, TF Text's ops) packs review text into `input_word_ids`,
`input_mask` and `input_type_ids` (int32 [batch, seq]), and the LiteRT interpreter
(`ai_edge_litert.interpreter.Interpreter`) runs `model.tflite` on them, giving
`probabilities` (float32 [batch, {len(names)}], in the order {", ".join(names)}).
"""
