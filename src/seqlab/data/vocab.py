"""A vocabulary: tokens <-> integer ids, with the four special tokens first.

id 0 <pad>   padding, never predicted, ignored by losses
id 1 <unk>   any token not in the vocabulary
id 2 <sos>   start of sequence (decoder input at t=0)
id 3 <eos>   end of sequence (the decoder's signal to stop)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from seqlab.errors import SeqlabError

PAD, UNK, SOS, EOS = "<pad>", "<unk>", "<sos>", "<eos>"
SPECIALS = (PAD, UNK, SOS, EOS)
PAD_ID, UNK_ID, SOS_ID, EOS_ID = 0, 1, 2, 3


class Vocab:
    """An ordered token list; ``stoi`` maps each token to its index."""

    def __init__(self, tokens: Sequence[str]):
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            tokens = list(SPECIALS) + [t for t in tokens if t not in SPECIALS]
        self.itos: list[str] = list(tokens)
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("vocabulary tokens must be unique")

    @classmethod
    def build(
        cls,
        token_streams: Iterable[Iterable[str]],
        min_freq: int = 1,
        max_size: int | None = None,
    ) -> Vocab:
        """Count tokens and keep those seen ``min_freq`` times, most frequent first.

        Ties are broken by first occurrence, so the same corpus always gives the same ids.
        """
        counts: Counter[str] = Counter()
        for tokens in token_streams:
            counts.update(tokens)
        for s in SPECIALS:
            counts.pop(s, None)
        kept = [t for t, c in counts.most_common() if c >= min_freq]
        if max_size is not None:
            kept = kept[: max(0, max_size - len(SPECIALS))]
        return cls(list(SPECIALS) + kept)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Iterable[str]) -> list[int]:
        stoi, unk = self.stoi, UNK_ID
        return [stoi.get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int], strip_specials: bool = True) -> list[str]:
        out = []
        for i in ids:
            tok = self.itos[int(i)]
            if strip_specials and tok in (PAD, SOS, EOS):
                continue
            out.append(tok)
        return out

    def to_dict(self) -> dict:
        return {"itos": self.itos}

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        """Rebuild a vocabulary saved with :meth:`to_dict` (read from JSON, so checked)."""
        itos = d.get("itos") if isinstance(d, dict) else None
        if not isinstance(itos, list) or not all(isinstance(t, str) for t in itos):
            raise SeqlabError('saved vocabulary: expected {"itos": [token, ...]} of strings')
        try:
            return cls(itos)
        except ValueError as e:
            raise SeqlabError(f"saved vocabulary: {e}") from None
