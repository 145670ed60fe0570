"""The seq2seq task's config sections: where the pairs are, and the encoder-decoder's shape."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.config import (
    RecurrentModelConfig,
    check_choice,
    check_decompose_hangul,
    check_fraction,
    check_non_negative,
    check_positive,
)
from seqlab.data.tokenizers import TOKENIZER_KINDS
from seqlab.errors import ConfigError
from seqlab.nn.attention import ATTENTION_KINDS, LUONG_SCORES


@dataclass(frozen=True)
class Seq2SeqDataConfig:
    """Where the pairs are and how they become tokens.

    train: source file (with ``train_tgt``), a TSV file (without), or ``chatterbot:english``.
    valid / valid_tgt: the same for validation; none -> hold out ``valid_fraction`` (seeded by
        ``split_seed``). columns: TSV columns of (source, target), e.g. [1, 0] to swap.
    max_pairs: use only this many training pairs (0 = all), after a seeded shuffle.
    tokenizer: bpe | unigram | word | char; joint: one tokenizer and vocabulary for both sides.
    decompose_hangul: (char) one token per Hangul jamo instead of per syllable.
    max_src_len / max_tgt_len: drop longer training pairs (tokens; 0 = keep all). Longer
        sources at translation time are truncated (or rejected) to ``max_src_len``.
    bleu_sentences: validation sentences decoded (greedy) for BLEU at each validation.
    """

    train: str
    train_tgt: str | None = None
    valid: str | None = None
    valid_tgt: str | None = None
    columns: list[int] | None = None
    valid_fraction: float = 0.05
    split_seed: int = 1234
    max_pairs: int = 0
    tokenizer: str = "bpe"
    decompose_hangul: bool = False
    vocab_size: int = 8000
    joint: bool = False
    lowercase: bool = False
    min_freq: int = 1
    max_vocab: int = 0
    max_src_len: int = 50
    max_tgt_len: int = 50
    encoding: str = "utf-8"
    bleu_sentences: int = 200

    def __post_init__(self):
        check_choice("tokenizer", self.tokenizer, TOKENIZER_KINDS)
        check_decompose_hangul(self.decompose_hangul, self.tokenizer)
        check_fraction("valid_fraction", self.valid_fraction)
        check_positive("vocab_size", self.vocab_size)
        check_positive("min_freq", self.min_freq)
        for name in ("max_pairs", "max_vocab", "max_src_len", "max_tgt_len", "bleu_sentences"):
            check_non_negative(name, getattr(self, name))
        if self.columns is not None and (
            len(self.columns) != 2 or min(self.columns) < 0 or len(set(self.columns)) != 2
        ):
            raise ConfigError(f"columns: expected two different column numbers, got {self.columns}")
        if self.valid_tgt and not self.valid:
            raise ConfigError("valid_tgt: given without valid (the source side)")


@dataclass(frozen=True)
class Seq2SeqModelConfig(RecurrentModelConfig):
    """Encoder-decoder shape, and how it is trained and decoded.

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

    cell: str = "gru"
    embedding_dim: int = 256
    bidirectional: bool = True
    attention: str = "bahdanau"
    score: str = "general"
    attention_size: int = 0
    input_feed: bool = False
    bridge: str = "linear"
    teacher_forcing: float = 1.0
    teacher_forcing_schedule: str = "constant"
    teacher_forcing_final: float = 0.5
    teacher_forcing_steps: int = 0
    label_smoothing: float = 0.0
    max_len_ratio: float = 1.5
    max_len_offset: int = 5

    def __post_init__(self):
        super().__post_init__()
        check_choice("attention", self.attention, ATTENTION_KINDS)
        check_choice("score", self.score, LUONG_SCORES)
        check_choice("bridge", self.bridge, ("linear", "zeros"))
        check_choice(
            "teacher_forcing_schedule", self.teacher_forcing_schedule, ("constant", "linear")
        )
        check_positive("max_len_ratio", self.max_len_ratio)
        for name in ("attention_size", "teacher_forcing_steps", "max_len_offset"):
            check_non_negative(name, getattr(self, name))
        check_fraction("label_smoothing", self.label_smoothing)
        check_fraction("teacher_forcing", self.teacher_forcing, upper_open=False)
        check_fraction("teacher_forcing_final", self.teacher_forcing_final, upper_open=False)
        memory = self.hidden_size * (2 if self.bidirectional else 1)
        if self.attention == "luong" and self.score == "dot" and memory != self.hidden_size:
            raise ConfigError(
                f"score: 'dot' needs encoder outputs ({memory}) as wide as the decoder "
                f"({self.hidden_size}); use score 'general' or bidirectional false"
            )
        if self.attention == "none" and self.bridge == "zeros":
            raise ConfigError("bridge: 'zeros' with attention 'none' leaves the decoder blind")
