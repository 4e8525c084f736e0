"""Writes a small random BERT encoder and its preprocessor with TF Model Garden's own
TF Hub exporter (`official/nlp/tools/export_tfhub_lib.py`, the code that made TF
Hub's BERT models): an encoder bert-keras did not write, shaped like TF Hub's
small_bert (4 blocks, hidden 128, 2 heads).

    python tests/model_garden_encoder.py OUT_DIR    # -> OUT_DIR/encoder, OUT_DIR/preprocessor
"""

import sys
from pathlib import Path

import tensorflow as tf
from official.legacy.bert import configs
from official.nlp.tools import export_tfhub_lib
from tiny_bert import tiny_vocab

import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)


def main(out: Path):
    out.mkdir(parents=True)
    vocab = out / "vocab.txt"
    vocab.write_text("\n".join(tiny_vocab()) + "\n", encoding="utf-8")
    config = configs.BertConfig(
        vocab_size=len(tiny_vocab()),
        hidden_size=128,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=512,
        max_position_embeddings=128,
    )
    checkpoint = tf.train.Checkpoint(encoder=export_tfhub_lib.get_bert_encoder(config)).save(
        str(out / "ckpt" / "c")
    )
    export_tfhub_lib.export_model(
        str(out / "encoder"),
        bert_config=config,
        model_checkpoint_path=checkpoint,
        with_mlm=False,
        vocab_file=str(vocab),
        do_lower_case=True,
    )
    export_tfhub_lib.export_preprocessing(
        str(out / "preprocessor"),
        vocab_file=str(vocab),
        do_lower_case=True,
        tokenize_with_offsets=False,
        default_seq_length=128,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
