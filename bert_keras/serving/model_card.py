"""model_card.md: what an export is, how it was trained, and how to call it."""


def model_card(config, metrics: dict, ops: dict, name: str, quality: dict) -> str:
    spec = {k: v for k, v in config.freeze.to_dict().items() if v not in (None, False)}
    return f"""# {name}: review sentiment (bert-keras)

- Encoder: `{config.encoder}`, frozen as {spec or "nothing (full fine-tuning)"}; head: dropout {config.dropout}, Dense(1, sigmoid)
- Data: `{config.data}` ({config.text_fields}, max {config.max_seq_length} tokens), {config.epochs} epoch(s), batch {config.batch_size}, peak learning rate {config.learning_rate}
- Test metrics: F1 {metrics.get("f1")}, accuracy {metrics.get("accuracy")}, AUC {metrics.get("auc")}, precision {metrics.get("precision")}, recall {metrics.get("recall")} (the run, in {config.precision})
- Serving: {", ".join(f"{k} {v}" for k, v in quality.items())}

## Calling it

- `serving_default`: `text` (string [batch]) -> `probability` (float32 [batch], of a positive review), `label` (int32 [batch]). Needs ops: {", ".join(ops["serving_default"]) or "core only"} (load `tensorflow_text` in Python; TF Serving needs a build with TF Text).
- `from_token_ids`: `input_word_ids`, `input_mask`, `input_type_ids` (int32 [batch, seq]) -> the same. Core TensorFlow ops only.

REST: `POST /v1/models/{name}:predict` with `{{"instances": ["Great product!"]}}` returns `{{"predictions": [{{"probability": 0.97, "label": 1}}]}}`.
"""
