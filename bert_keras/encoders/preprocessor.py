"""The text preprocessor saved beside each encoder, laid out as TF Hub's
`bert_en_uncased_preprocess/3`: strings in, `input_word_ids`, `input_mask` and
`input_type_ids` out, with `tokenize` and `bert_pack_inputs` as attributes.

Tokenizing uses TF Text's BertTokenizer (ops every TF Text release has).
Packing is written with core TensorFlow ops only: TF Text's RoundRobinTrimmer
needs an op (RoundRobinTrim) that the TF Text inside stock TF Serving images
lacks, so graphs built on it would not be servable there.
"""

from pathlib import Path

import tensorflow as tf
import tensorflow_text as tf_text

from bert_keras.encoders.layout import DEFAULT_SEQ_LENGTH
from bert_keras.encoders.traced_save import save_traced
from bert_keras.errors import UserInputError

SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]", "[UNK]")
TEXT_SIGNATURE = [tf.TensorSpec([None], tf.string)]


def read_vocab(vocab_file: Path) -> list[str]:
    """The tokens of a WordPiece vocab file, one a line, in id order."""
    try:
        return Path(vocab_file).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserInputError(
            f"{vocab_file}: no such file (a BERT checkpoint needs vocab.txt)"
        ) from None
    except UnicodeDecodeError as error:
        raise UserInputError(f"{vocab_file}: not UTF-8 text ({error.reason})") from None


def round_robin_lengths(lengths, budget):
    """How many tokens of each segment to keep, taking one from each in turn.

    lengths: int32 [batch, segments]; budget: int32 scalar.
    Returns int32 [batch, segments], the same split as TF Text's RoundRobinTrimmer.
    """
    # The largest per-segment cap `level` whose total still fits the budget...
    levels = tf.range(budget + 1)  # [budget + 1]
    totals = tf.reduce_sum(tf.minimum(lengths[:, :, None], levels[None, None, :]), axis=1)
    level = tf.reduce_sum(tf.cast(totals <= budget, tf.int32), axis=1) - 1  # [batch]
    kept = tf.minimum(lengths, level[:, None])
    # ...then the tokens left over go one each to the earliest longer segments.
    spare = budget - tf.reduce_sum(kept, axis=1)  # [batch]
    longer = tf.cast(lengths > level[:, None], tf.int32)
    return kept + longer * tf.cast(tf.cumsum(longer, axis=1) <= spare[:, None], tf.int32)


class BertPreprocessor(tf.Module):
    """Turns raw text into BERT encoder inputs, inside any TensorFlow graph.

    >>> import tempfile, os
    >>> vocab = os.path.join(tempfile.mkdtemp(), "vocab.txt")
    >>> _ = open(vocab, "w").write("[PAD]\\n[UNK]\\n[CLS]\\n[SEP]\\ngood\\nfilm\\n")
    >>> BertPreprocessor(vocab, seq_length=6)(tf.constant(["Good film"]))["input_word_ids"]
    <tf.Tensor: shape=(1, 6), dtype=int32, numpy=array([[2, 4, 5, 3, 0, 0]], dtype=int32)>
    """

    def __init__(
        self, vocab_file, lower_case=True, seq_length=DEFAULT_SEQ_LENGTH, name="bert_preprocessor"
    ):
        super().__init__(name=name)
        tokens = read_vocab(vocab_file)
        duplicates = (
            sorted({token for token in tokens if tokens.count(token) > 1})[:3]
            if len(set(tokens)) != len(tokens)
            else []
        )
        if duplicates:
            raise UserInputError(f"{vocab_file}: lists some tokens twice ({', '.join(duplicates)})")
        missing = [token for token in SPECIAL_TOKENS if token not in tokens]
        if missing:
            raise UserInputError(f"{vocab_file}: lacks the special tokens {', '.join(missing)}")
        self.cls_id, self.sep_id, self.pad_id = (tokens.index(t) for t in SPECIAL_TOKENS[:3])
        self.seq_length = seq_length
        self.vocab_size = len(tokens)
        self.vocab_file = tf.saved_model.Asset(str(vocab_file))
        self.tokenizer = tf_text.BertTokenizer(
            str(vocab_file), lower_case=lower_case, token_out_type=tf.int32
        )

    @tf.function(input_signature=TEXT_SIGNATURE)
    def __call__(self, text):
        return self.bert_pack_inputs([self.tokenize(text)])

    @tf.function(input_signature=TEXT_SIGNATURE)
    def tokenize(self, text):
        # text: string [batch] -> int32 ragged [batch, (words), (wordpieces)]
        return self.tokenizer.tokenize(text)

    @tf.function
    def bert_pack_inputs(self, segments, seq_length=None):
        """[CLS] a [SEP] b [SEP] ..., trimmed round-robin to `seq_length`, padded.

        segments: a list of int32 ragged [batch, (words), (wordpieces)] or [batch, (tokens)].
        Each kept token is scattered to its place in a [batch, seq_length] tensor: flat
        index arithmetic, no ragged broadcasting, whose graphs (validation asserts in
        every op) made this function 10x slower to trace, save and load.
        """
        static_length = seq_length if seq_length is not None else self.seq_length
        seq_length = tf.convert_to_tensor(static_length, tf.int32)
        segments = [s.merge_dims(1, -1) if s.ragged_rank > 1 else s for s in segments]
        budget = seq_length - len(segments) - 1  # room left by [CLS] and one [SEP] per segment
        tf.debugging.assert_non_negative(budget, "seq_length is too short for the special tokens")
        lengths = tf.stack([tf.cast(s.row_lengths(), tf.int32) for s in segments], axis=1)
        keep = round_robin_lengths(lengths, budget)  # [batch, segments]
        starts = 1 + tf.cumsum(keep + 1, axis=1, exclusive=True)  # [batch, segments]: 1st position
        rows = tf.range(tf.shape(lengths)[0])  # [batch]
        indices = [tf.stack([rows, tf.zeros_like(rows)], axis=1)]  # [CLS] at position 0
        updates = [tf.fill(tf.shape(rows), self.cls_id)]
        for index, segment in enumerate(segments):
            values = tf.cast(segment.values, tf.int32)  # [tokens]
            row = tf.cast(segment.value_rowids(), tf.int32)  # [tokens]
            offset = tf.range(tf.size(values)) - tf.gather(
                tf.cast(segment.row_starts(), tf.int32), row
            )
            kept = offset < tf.gather(keep[:, index], row)  # [tokens]
            position = tf.gather(starts[:, index], row) + offset
            indices += [
                tf.boolean_mask(tf.stack([row, position], axis=1), kept),
                tf.stack([rows, starts[:, index] + keep[:, index]], axis=1),
            ]  # its [SEP]
            updates += [tf.boolean_mask(values, kept), tf.fill(tf.shape(rows), self.sep_id)]
        shape = tf.stack([tf.shape(rows)[0], seq_length])
        word_ids = tf.tensor_scatter_nd_update(
            tf.fill(shape, self.pad_id), tf.concat(indices, 0), tf.concat(updates, 0)
        )
        positions = tf.range(seq_length)[tf.newaxis, :]  # [1, seq]
        mask = tf.cast(positions < 1 + tf.reduce_sum(keep + 1, axis=1)[:, tf.newaxis], tf.int32)
        # a position's type: how many segments after the first start at or before it
        later_starts = starts[:, tf.newaxis, 1:]  # [batch, 1, segments - 1]
        types = tf.reduce_sum(
            tf.cast(positions[:, :, tf.newaxis] >= later_starts, tf.int32), axis=2
        )
        packed = dict(input_word_ids=word_ids, input_mask=mask, input_type_ids=types * mask)
        if isinstance(static_length, int):
            packed = {k: tf.ensure_shape(v, [None, static_length]) for k, v in packed.items()}
        return packed

    def save(self, export_dir):
        """Writes the preprocessor as a SavedModel, with `bert_pack_inputs` traced for
        one and two segments of either ragged rank, with and without a `seq_length`."""

        def trace():  # each spec named as its argument: the SavedModel looks traces up so
            length = tf.TensorSpec([], tf.int32, name="seq_length")
            for ragged_rank in (1, 2):
                for count in (1, 2):
                    spec = [
                        tf.RaggedTensorSpec([None] * (ragged_rank + 1), tf.int32, ragged_rank)
                    ] * count
                    self.bert_pack_inputs.get_concrete_function(spec)
                    self.bert_pack_inputs.get_concrete_function(spec, length)

        save_traced(self, export_dir, trace)
