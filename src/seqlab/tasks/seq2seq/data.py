"""The data of a seq2seq run: its pairs, read from aligned files, a TSV file or a corpus, and
the tokenizer and vocabulary of each side."""

from __future__ import annotations

from seqlab.data import chatterbot
from seqlab.data.normalize import nfc
from seqlab.data.parallel import PairStats, read_aligned, read_tsv
from seqlab.data.tokenizers import Tokenizer, build_tokenizer
from seqlab.data.vocab import Vocab
from seqlab.tasks.seq2seq.config import Seq2SeqDataConfig

Side = tuple[Tokenizer, Vocab]


def read_pairs(
    d: Seq2SeqDataConfig, src: str, tgt: str | None
) -> tuple[list[tuple[str, str]], PairStats]:
    """(source, target) pairs and what reading them kept: ``src`` and ``tgt`` aligned files,
    ``src`` a TSV file (``tgt`` None), or ``src`` a chatterbot corpus name."""
    if chatterbot.is_chatterbot(src):
        pairs = chatterbot.chatterbot_pairs(chatterbot.language_of(src))
        stats = PairStats(read=len(pairs))
        kept = [(q.strip(), a.strip()) for q, a in pairs if q.strip() and a.strip()]
        stats.empty = len(pairs) - len(kept)
        return kept, stats
    if tgt is not None:
        return read_aligned(src, tgt, d.encoding)
    return read_tsv(src, d.encoding, d.columns or (0, 1))


def leave_out(
    pairs: list[tuple[str, str]], listed: list[tuple[str, str]], stats: PairStats
) -> list[tuple[str, str]]:
    """``pairs`` without every pair equal to one of ``listed`` (after NFC and trimming), counted
    in ``stats.excluded``. A listed pair that is not there leaves nothing out: the same config
    may train on other data."""
    if not listed:
        return pairs
    drop = {(nfc(s).strip(), nfc(t).strip()) for s, t in listed}
    kept = [pair for pair in pairs if (nfc(pair[0]).strip(), nfc(pair[1]).strip()) not in drop]
    stats.excluded += len(pairs) - len(kept)
    return kept


def is_chatbot(d: Seq2SeqDataConfig) -> bool:
    """Whether the run learns to answer (a chatterbot corpus), not to translate."""
    return chatterbot.is_chatterbot(str(d.train or ""))


def build_sides(d: Seq2SeqDataConfig, pairs: list[tuple[str, str]]) -> tuple[Side, Side]:
    """The (tokenizer, vocabulary) of the source and of the target side, learned from the
    training pairs; one shared by both sides when ``joint``."""
    sources, targets = [s for s, _ in pairs], [t for _, t in pairs]

    def build(texts: list[str]) -> tuple[Tokenizer, Vocab]:
        tok = build_tokenizer(
            d.tokenizer,
            texts,
            d.vocab_size,
            lowercase=d.lowercase,
            decompose_hangul=d.decompose_hangul,
        )
        vocab = Vocab.build((tok.tokenize(t) for t in texts), d.min_freq, d.max_vocab or None)
        return tok, vocab

    if d.joint:
        both = build(sources + targets)
        return both, both
    return build(sources), build(targets)
