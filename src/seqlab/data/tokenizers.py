"""Tokenizers: text -> list of string tokens, and back.

Three kinds, each saved as a small JSON dict so a run directory (or checkpoint) rebuilds it alone:

- ``char``: Unicode code points, so any UTF-8 text works (Korean, emoji, accents); with
  ``decompose_hangul`` each Hangul syllable becomes its 2 or 3 jamo (recomposed on output).
- ``word``: a regex word splitter; ``<unk>``-style markers such as PTB's stay one token.
- ``bpe`` / ``unigram``: sentencepiece subwords; the trained model is stored inside the dict.

Every kind first normalizes its input to NFC (:func:`~seqlab.data.normalize.nfc`), so text typed
as decomposed jamo and as precomposed syllables gives the same tokens.

Ids are not the tokenizer's business: a :class:`~seqlab.data.vocab.Vocab` maps tokens to ids.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterable, Iterator

from seqlab.data.normalize import decompose_hangul, lone_jamo_to_compatibility, nfc
from seqlab.errors import SeqlabError

# <unk> / <eos> markers, words with inner apostrophes or hyphens, numbers, single symbols
_WORD_RE = re.compile(r"<[A-Za-z_]+>|\w+(?:['’\-]\w+)*|[^\w\s]", re.UNICODE)


# sentencepiece's complaint when vocab_size cannot hold one piece per character
_TOO_FEW_PIECES = re.compile(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)")


def word_split(text: str, lowercase: bool = False) -> list[str]:
    """Split ``text`` into words and punctuation: ``"Don't stop!" -> ["Don't", "stop", "!"]``."""
    text = nfc(text)
    if lowercase:
        text = text.lower()
    return _WORD_RE.findall(text)


class Tokenizer:
    """Base class. Subclasses set ``kind`` and implement the three methods."""

    kind = "base"
    #: True when a line break is itself a token (character models), so streams need no <eos>
    keeps_newlines = False

    def tokenize(self, text: str) -> list[str]:
        raise NotImplementedError

    def detokenize(self, tokens: Iterable[str]) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict:
        return {"kind": self.kind}


class CharTokenizer(Tokenizer):
    """One token per character: per Hangul syllable, or per jamo with ``decompose_hangul``."""

    kind = "char"
    keeps_newlines = True

    def __init__(self, lowercase: bool = False, decompose_hangul: bool = False):
        self.lowercase = lowercase
        self.decompose_hangul = decompose_hangul

    def tokenize(self, text: str) -> list[str]:
        text = nfc(text)
        text = text.lower() if self.lowercase else text
        return list(decompose_hangul(text) if self.decompose_hangul else text)

    def detokenize(self, tokens: Iterable[str]) -> str:
        """Tokens joined, jamo recomposed into syllables (NFC)."""
        return nfc("".join(tokens))

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "lowercase": self.lowercase}
        return out | ({"decompose_hangul": True} if self.decompose_hangul else {})


class WordTokenizer(Tokenizer):
    kind = "word"

    def __init__(self, lowercase: bool = False, split: str = "regex"):
        if split not in ("regex", "whitespace"):
            raise SeqlabError(
                f"word tokenizer: split must be 'regex' or 'whitespace', not {split!r}"
            )
        self.lowercase = lowercase
        self.split = split

    def tokenize(self, text: str) -> list[str]:
        text = nfc(text)
        if self.split == "whitespace":
            return (text.lower() if self.lowercase else text).split()
        return word_split(text, self.lowercase)

    def detokenize(self, tokens: Iterable[str]) -> str:
        out = ""
        for tok in tokens:
            glue = not out or (len(tok) == 1 and tok in ".,!?;:%)]}'’") or out[-1] in "([{"
            out += tok if glue else " " + tok
        return out

    def to_dict(self) -> dict:
        return {"kind": self.kind, "lowercase": self.lowercase, "split": self.split}


class SentencePieceTokenizer(Tokenizer):
    """Subwords from a trained sentencepiece model (``bpe`` or ``unigram``)."""

    def __init__(self, model_proto: bytes, kind: str, lowercase: bool = False):
        import sentencepiece as spm

        self.kind = kind
        self.lowercase = lowercase
        self.model_proto = model_proto
        if not model_proto:
            raise SeqlabError(f"{kind} tokenizer: the sentencepiece model is empty")
        try:  # a protobuf: parsed, never executed
            self.sp = spm.SentencePieceProcessor(model_proto=model_proto)
        except (RuntimeError, TypeError):
            raise SeqlabError(
                f"{kind} tokenizer: the saved model is not a sentencepiece model protobuf"
            ) from None

    @classmethod
    def train(
        cls,
        texts: Iterable[str],
        kind: str = "bpe",
        vocab_size: int = 8000,
        *,
        lowercase: bool = False,
        character_coverage: float = 1.0,
        max_sentences: int = 2_000_000,
    ) -> SentencePieceTokenizer:
        """Train on an iterable of lines. ``vocab_size`` is an upper bound on small corpora."""
        import sentencepiece as spm

        def lines() -> Iterator[str]:
            for t in texts:
                t = nfc(t).strip()
                if t:
                    yield t.lower() if lowercase else t

        buf = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=lines(),
                model_writer=buf,
                model_type=kind,
                vocab_size=vocab_size,
                hard_vocab_limit=False,
                character_coverage=character_coverage,
                input_sentence_size=max_sentences,
                shuffle_input_sentence=True,
                bos_id=-1,
                eos_id=-1,
                unk_id=0,
                num_threads=2,
                minloglevel=2,
            )
        except RuntimeError as e:
            message = str(e).strip()
            if small := _TOO_FEW_PIECES.search(message):
                raise SeqlabError(
                    f"vocab_size {small[1]} is below the {small[2]} distinct characters of the "
                    "training text, and each needs a piece of its own (Korean text uses hundreds "
                    "of syllables): raise vocab_size"
                ) from None
            raise SeqlabError(f"sentencepiece training failed: {message}") from None
        return cls(buf.getvalue(), kind, lowercase)

    def tokenize(self, text: str) -> list[str]:
        text = nfc(text)
        return self.sp.encode(text.lower() if self.lowercase else text, out_type=str)

    def detokenize(self, tokens: Iterable[str]) -> str:
        return lone_jamo_to_compatibility(self.sp.decode_pieces(list(tokens)))

    def pieces(self) -> list[str]:
        """All regular pieces of the model (control and unknown symbols left out)."""
        sp = self.sp
        return [
            sp.id_to_piece(i)
            for i in range(sp.get_piece_size())
            if not (sp.is_control(i) or sp.is_unknown(i))
        ]

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "lowercase": self.lowercase,
            "model": base64.b64encode(self.model_proto).decode("ascii"),
        }


TOKENIZER_KINDS = ("char", "word", "bpe", "unigram")


def build_tokenizer(
    kind: str,
    texts: Iterable[str] = (),
    vocab_size: int = 8000,
    *,
    lowercase: bool = False,
    word_split_mode: str = "regex",
    decompose_hangul: bool = False,
) -> Tokenizer:
    """Make a tokenizer; sentencepiece kinds are trained on ``texts`` (an iterable of lines).

    ``decompose_hangul`` (``char`` only) splits Hangul syllables into jamo.
    """
    if decompose_hangul and kind != "char":
        raise SeqlabError(f"decompose_hangul: needs tokenizer 'char', not {kind!r}")
    if kind == "char":
        return CharTokenizer(lowercase, decompose_hangul)
    if kind == "word":
        return WordTokenizer(lowercase, word_split_mode)
    if kind in ("bpe", "unigram"):
        return SentencePieceTokenizer.train(texts, kind, vocab_size, lowercase=lowercase)
    raise SeqlabError(f"unknown tokenizer {kind!r}; expected one of {', '.join(TOKENIZER_KINDS)}")


def tokenizer_from_dict(d: dict) -> Tokenizer:
    """Rebuild a tokenizer saved with :meth:`Tokenizer.to_dict`.

    ``d`` comes from a JSON file a user may hand us, so it is checked: anything malformed is a
    one-line :class:`SeqlabError`, and a sentencepiece model is only ever parsed as a protobuf.
    """
    if not isinstance(d, dict):
        raise SeqlabError(f"saved tokenizer: expected a JSON object, got {type(d).__name__}")
    kind = d.get("kind")
    if kind == "char":
        decompose = d.get("decompose_hangul", False)
        if not isinstance(decompose, bool):
            raise SeqlabError(
                f"saved char tokenizer: decompose_hangul must be true or false, not {decompose!r}"
            )
        return CharTokenizer(d.get("lowercase", False), decompose)
    if kind == "word":
        return WordTokenizer(d.get("lowercase", False), d.get("split", "regex"))
    if kind in ("bpe", "unigram"):
        return SentencePieceTokenizer(_model_proto(d, kind), kind, d.get("lowercase", False))
    raise SeqlabError(f"unknown tokenizer kind {kind!r} in saved tokenizer")


def _model_proto(d: dict, kind: str) -> bytes:
    """The sentencepiece model bytes stored as base64 text under ``model``."""
    try:
        return base64.b64decode(d["model"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise SeqlabError(
            f"saved {kind} tokenizer: expected its sentencepiece model as base64 text in 'model'"
        ) from None
