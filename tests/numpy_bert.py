"""A BERT encoder's forward pass in numpy, written from TF Hub BERT v4's published layout
(variable names and shapes), not from bert_keras' own network: the fast tests'
independent reference for converted encoders and the frozen-prefix cache.

    embeddings = LayerNorm(word[ids] + position[0..seq) + type[type_ids])
    block:  a = LayerNorm(x + Attention(x));  x' = LayerNorm(a + Dense(GELU(Dense(a))))
    pooled = tanh(Dense(x[:, 0]))

Post-layer-norm blocks, exact (erf) GELU, padded keys masked out of every softmax.
"""

import numpy as np
from scipy.special import erf

EPSILON = 1e-12  # BERT's layer-norm epsilon


def weights_of(loaded) -> dict[str, np.ndarray]:
    """{TF Hub variable name: float64 value} of a loaded encoder (`hub.load`)."""
    return {v.name.split(":")[0]: v.numpy().astype(np.float64) for v in loaded.variables}


def layer_norm(x, gamma, beta):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + EPSILON) * gamma + beta


def gelu(x):
    return 0.5 * x * (1 + erf(x / np.sqrt(2)))


def embed(w: dict, ids, type_ids) -> np.ndarray:
    """[batch, seq, hidden]: the states entering block 0."""
    positions = np.arange(ids.shape[1])
    summed = (
        w["word_embeddings/embeddings"][ids]
        + w["position_embedding/embeddings"][positions][None]
        + w["type_embeddings/embeddings"][type_ids]
    )
    return layer_norm(summed, w["embeddings/layer_norm/gamma"], w["embeddings/layer_norm/beta"])


def block(w: dict, index: int, x, mask) -> np.ndarray:
    """Block `index` on x [batch, seq, hidden]; mask [batch, seq] is 1 on real tokens."""
    p = f"transformer/layer_{index}/"

    def project(name):  # [batch, seq, heads, head_size]
        kernel = w[p + f"self_attention/{name}/kernel"]  # [hidden, heads, head_size]
        return np.einsum("bsh,hnd->bsnd", x, kernel) + w[p + f"self_attention/{name}/bias"]

    query, key, value = project("query"), project("key"), project("value")
    scores = np.einsum("bqnd,bknd->bnqk", query, key) / np.sqrt(query.shape[-1])
    scores = np.where(mask[:, None, None, :] > 0, scores, -np.inf)  # padded keys get no weight
    scores -= scores.max(-1, keepdims=True)
    attention = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    context = np.einsum("bnqk,bknd->bqnd", attention, value)
    attended = np.einsum("bqnd,ndh->bqh", context, w[p + "self_attention/attention_output/kernel"])
    attended += w[p + "self_attention/attention_output/bias"]
    x = layer_norm(
        x + attended,
        w[p + "self_attention_layer_norm/gamma"],
        w[p + "self_attention_layer_norm/beta"],
    )
    inner = gelu(x @ w[p + "intermediate/kernel"] + w[p + "intermediate/bias"])
    out = inner @ w[p + "output/kernel"] + w[p + "output/bias"]
    return layer_norm(x + out, w[p + "output_layer_norm/gamma"], w[p + "output_layer_norm/beta"])


def depth(w: dict) -> int:
    return len({name.split("/")[1] for name in w if name.startswith("transformer/layer_")})


def forward(w: dict, ids, mask, type_ids) -> dict:
    """`hidden` (the states entering each block, and after the last: L + 1 of them),
    `sequence_output`, `encoder_outputs` and `pooled_output`, in float64."""
    hidden = [embed(w, ids, type_ids)]
    for index in range(depth(w)):
        hidden.append(block(w, index, hidden[-1], mask))
    pooled = np.tanh(hidden[-1][:, 0] @ w["pooler_transform/kernel"] + w["pooler_transform/bias"])
    return {
        "hidden": hidden,
        "sequence_output": hidden[-1],
        "encoder_outputs": hidden[1:],
        "pooled_output": pooled,
    }
