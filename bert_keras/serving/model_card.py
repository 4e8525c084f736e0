"""model_card.md: what an export is, how it was trained, and how to call it."""

CALLS = {
    "serving_default": "`text` (string [batch])",
    "from_examples": (
        "`examples` (serialized tf.Example [batch], bytes features `text` and optional `title`)"
    ),
    "from_token_ids": "`input_word_ids`, `input_mask`, `input_type_ids` (int32 [batch, seq])",
}
CORE_ONLY = "core TensorFlow ops only"
RETURNS = "`probability` (float32 [batch], of a positive review), `label` (int32 [batch])"


def model_card(
    config, metrics: dict, ops: dict, name: str, quality: dict, calibration: dict
) -> str:
    spec = {k: v for k, v in config.freeze.to_dict().items() if v not in (None, False)}
    test = ", ".join(
        f"{metric} {metrics.get(key)}"
        for metric, key in (
            ("F1", "f1"),
            ("accuracy", "accuracy"),
            ("AUC", "auc"),
            ("precision", "precision"),
            ("recall", "recall"),
        )
    )
    signatures = "\n".join(
        f"- `{s}`: {CALLS[s]} -> {RETURNS}. Needs: {', '.join(ops[s]) or CORE_ONLY}." for s in ops
    )
    request = '{"instances": ["Great product!"]}'
    response = '{"predictions": [{"probability": 0.97, "label": 1}]}'
    return f"""# {name}: review sentiment (bert-keras)

- Encoder: `{config.encoder}`, frozen as {spec or "nothing (full fine-tuning)"}; head: dropout \
{config.dropout}, Dense(1) and sigmoid
- Data: `{config.data}` ({config.text_fields}, max {config.max_seq_length} tokens), \
{config.epochs} epoch(s), batch {config.batch_size}, peak learning rate {config.learning_rate}
- Test metrics: {test} (the run, in {config.precision}, at 0.5 before calibration)
- Calibration (assets.extra/calibration.json): probability = sigmoid(logit / \
{calibration["temperature"]:.4g}), label = probability >= {calibration["threshold"]:.4g} \
({calibration["threshold_rule"]})
- Serving: {", ".join(f"{k} {v}" for k, v in quality.items())}

## Calling it

{signatures}

REST: `POST /v1/models/{name}:predict` with `{request}` returns `{response}`.
"""
