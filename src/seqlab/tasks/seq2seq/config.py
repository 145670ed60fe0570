"""The seq2seq task's config sections: where the pairs are, and the encoder-decoder's shape."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from seqlab.config import (
    Fraction,
    NonNegative,
    Positive,
    Probability,
    RecurrentModelConfig,
    TransformerFields,
    TupleOf,
)
from seqlab.data.tokenizers import TOKENIZER_KINDS
from seqlab.nn.attention import ATTENTION_KINDS, LUONG_SCORES
from seqlab.tasks.text_data import TokenizedDataConfig


class Seq2SeqDataConfig(TokenizedDataConfig):
    """Where the pairs are and how they become tokens (see :class:`TokenizedDataConfig`).

    train: source file (with ``train_tgt``), a TSV file (without), or ``chatterbot:english``.
    valid / valid_tgt: the same for validation; none -> hold out ``valid_fraction`` (seeded by
        ``split_seed``). columns: TSV columns of (source, target), e.g. [1, 0] to swap.
    max_pairs: use only this many training pairs (0 = all), after a seeded shuffle.
    exclude_pairs: [source, target] training pairs to leave out, compared after NFC and
        trimming (a corpus pair that should not be learned, e.g. a reply in the wrong register).
    tokenizer: bpe | unigram | word | char; joint: one tokenizer and vocabulary for both sides.
    max_src_len / max_tgt_len: drop longer training pairs (tokens; 0 = keep all). Longer
        sources at translation time are truncated (or rejected) to ``max_src_len``.
    bleu_sentences: validation sentences decoded (greedy) for BLEU at each validation.
    """

    valid_fraction: Fraction = 0.05
    tokenizer: Literal[TOKENIZER_KINDS] = "bpe"
    train_tgt: str | None = None
    valid: str | None = None
    valid_tgt: str | None = None
    columns: list[int] | None = None
    split_seed: int = 1234
    max_pairs: NonNegative = 0
    exclude_pairs: TupleOf[TupleOf[str]] = ()
    vocab_size: Positive = 8000
    joint: bool = False
    max_vocab: NonNegative = 0
    max_src_len: NonNegative = 50
    max_tgt_len: NonNegative = 50
    bleu_sentences: NonNegative = 200

    @model_validator(mode="after")
    def _sides_fit(self) -> Seq2SeqDataConfig:
        if self.columns is not None and (
            len(self.columns) != 2 or min(self.columns) < 0 or len(set(self.columns)) != 2
        ):
            raise ValueError(f"columns: expected two different column numbers, got {self.columns}")
        if any(len(pair) != 2 for pair in self.exclude_pairs):
            raise ValueError("exclude_pairs: expected [source, target] pairs of two texts each")
        if self.valid_tgt and not self.valid:
            raise ValueError("valid_tgt: given without valid (the source side)")
        return self


class Seq2SeqModelConfig(TransformerFields, RecurrentModelConfig):
    """Encoder-decoder shape, and how it is trained and decoded.

    arch: recurrent (the fields below) | transformer (num_layers encoder and decoder blocks of
        width embedding_dim, sinusoidal positions by default, the output layer tied to the
        target embedding; see :class:`TransformerFields`; cell, hidden_size, bidirectional,
        attention, score, attention_size, input_feed, bridge and scheduled sampling do not
        apply).

    cell: rnn | lstm | gru (encoder and decoder); bidirectional: the encoder's.
    attention: none (fixed context vector) | bahdanau (additive) | luong (``score`` dot |
        general | concat); attention_size: the tanh layer of bahdanau and concat (0 = H);
        input_feed: feed the attentional vector back in (luong).
    bridge: linear (encoder final state -> decoder initial state) | zeros.
    teacher_forcing: probability of feeding the reference token in training;
        teacher_forcing_schedule: constant | linear (decay to ``teacher_forcing_final`` over
        ``teacher_forcing_steps`` steps, 0 = the whole run): scheduled sampling.
    label_smoothing: for the training loss. max_len_ratio / max_len_offset: decoding stops
        after ratio * source tokens + offset target tokens.
    """

    cell: Literal["rnn", "lstm", "gru"] = "gru"
    embedding_dim: Positive = 256
    bidirectional: bool = True
    attention: Literal[ATTENTION_KINDS] = "bahdanau"
    score: Literal[LUONG_SCORES] = "general"
    attention_size: NonNegative = 0
    input_feed: bool = False
    bridge: Literal["linear", "zeros"] = "linear"
    teacher_forcing: Probability = 1.0
    teacher_forcing_schedule: Literal["constant", "linear"] = "constant"
    teacher_forcing_final: Probability = 0.5
    teacher_forcing_steps: NonNegative = 0
    label_smoothing: Fraction = 0.0
    max_len_ratio: float = Field(default=1.5, gt=0)
    max_len_offset: NonNegative = 5
    positions: Literal["learned", "sinusoidal"] = "sinusoidal"

    RECURRENT_ONLY = (
        "cell",
        "hidden_size",
        "bidirectional",
        "attention",
        "score",
        "attention_size",
        "input_feed",
        "bridge",
        "teacher_forcing",
        "teacher_forcing_schedule",
        "teacher_forcing_final",
        "teacher_forcing_steps",
    )

    @model_validator(mode="after")
    def _attention_fits(self) -> Seq2SeqModelConfig:
        memory = self.hidden_size * (2 if self.bidirectional else 1)
        if self.attention == "luong" and self.score == "dot" and memory != self.hidden_size:
            raise ValueError(
                f"score: 'dot' needs encoder outputs ({memory}) as wide as the decoder "
                f"({self.hidden_size}); use score 'general' or bidirectional false"
            )
        if self.attention == "none" and self.bridge == "zeros":
            raise ValueError("bridge: 'zeros' with attention 'none' leaves the decoder blind")
        return self
