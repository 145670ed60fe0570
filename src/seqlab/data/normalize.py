"""Unicode normalization of the text that enters seqlab, and Hangul syllables <-> jamo.

The same Korean word can arrive in two spellings: precomposed syllables (``"한"``, U+D55C, what
keyboards type) or decomposed conjoining jamo (U+1112 U+1161 U+11AB: what some file systems
and copy-pastes produce). They look identical but are different code points, so a model would see
two different tokens. Every reader and tokenizer therefore passes text through :func:`nfc`
(Unicode canonical composition), which turns both into the precomposed syllable.

A syllable is only split into its jamo when asked (``decompose_hangul: true`` for the ``char``
tokenizer). Hangul syllables are laid out arithmetically, so the split is a formula::

    code = 0xAC00 + (lead * 21 + vowel) * 28 + tail      lead < 19, vowel < 21, tail < 28
    jamo = 0x1100 + lead, 0x1161 + vowel, 0x11A7 + tail (no final consonant when tail == 0)

and :func:`nfc` puts the pieces back together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

SYLLABLE_FIRST, SYLLABLE_LAST = 0xAC00, 0xD7A3  # 가 .. 힣: the 11,172 precomposed syllables
LEAD_BASE, VOWEL_BASE, TAIL_BASE = 0x1100, 0x1161, 0x11A7  # conjoining jamo
VOWELS, TAILS = 21, 28

# every block that holds Hangul: jamo, compatibility jamo, extended jamo A/B, syllables
HANGUL_BLOCKS = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))


def _compatibility_table() -> dict[int, str]:
    """Conjoining jamo -> the compatibility jamo (U+3131..U+318E) that NFKC turns into it."""
    table: dict[int, str] = {}
    for code in range(0x3131, 0x318F):
        conjoining = unicodedata.normalize("NFKC", chr(code))
        if len(conjoining) == 1 and 0x1100 <= ord(conjoining) <= 0x11FF:
            table.setdefault(ord(conjoining), chr(code))
    return table


_COMPATIBILITY = _compatibility_table()

# a syllable still being spelled: a leading consonant, maybe its vowel (a vowel or a final
# consonant may yet join it)
_OPEN_SYLLABLE = re.compile("[\u1100-\u115f][\u1160-\u11a7]?$")


def nfc(text: str) -> str:
    """``text`` in Unicode Normalization Form C (decomposed jamo become syllables, ``e`` plus a
    combining accent becomes ``é``); already-normalized text is returned as is, cheaply."""
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def decompose_syllable(ch: str) -> str:
    """One precomposed syllable -> its 2 or 3 conjoining jamo; any other character unchanged."""
    code = ord(ch)
    if not SYLLABLE_FIRST <= code <= SYLLABLE_LAST:
        return ch
    index = code - SYLLABLE_FIRST
    lead, rest = divmod(index, VOWELS * TAILS)
    vowel, tail = divmod(rest, TAILS)
    jamo = chr(LEAD_BASE + lead) + chr(VOWEL_BASE + vowel)
    return jamo + chr(TAIL_BASE + tail) if tail else jamo


def decompose_hangul(text: str) -> str:
    """Every Hangul syllable of ``text`` split into jamo: ``"안녕"`` becomes the 6 code points
    U+110B U+1161 U+11AB U+1102 U+1167 U+11BC (ᄋ ᅡ ᆫ ᄂ ᅧ ᆼ)."""
    return "".join(decompose_syllable(ch) for ch in text)


def lone_jamo_to_compatibility(text: str) -> str:
    """NFC, then every conjoining jamo left alone (not part of a syllable) written as the
    compatibility jamo people type: ``"ᄒᄋ"`` -> ``"ㅎㅇ"``.

    sentencepiece's NFKC normalization turns typed jamo such as ``ㅋㅋ`` into conjoining jamo,
    which would otherwise come back out of its decoder in that form.
    """
    return nfc(text).translate(_COMPATIBILITY)


class SyllableStream:
    """Streamed text in NFC: jamo arriving one piece at a time are held back until the syllable
    they spell is complete, then passed on as that syllable.

    >>> s = SyllableStream()
    >>> [s.push(p) for p in decompose_hangul("안녕")] + [s.flush()]
    ['', '', '안', '', '', '녕', '']
    """

    def __init__(self):
        self.pending = ""

    def push(self, piece: str) -> str:
        """The text now complete (maybe empty) after ``piece`` arrives."""
        text = self.pending + piece
        open_syllable = _OPEN_SYLLABLE.search(text)
        cut = open_syllable.start() if open_syllable else len(text)
        self.pending = text[cut:]
        return nfc(text[:cut])

    def flush(self) -> str:
        """What is still held back, at the end of the stream."""
        text, self.pending = nfc(self.pending), ""
        return text


def has_hangul(text: str) -> bool:
    """True if ``text`` holds any Hangul syllable or jamo."""
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in HANGUL_BLOCKS)


def composing(
    on_piece: Callable[[int, str], None],
) -> tuple[Callable[[int, str], None], Callable[[int], None]]:
    """``on_piece`` behind one :class:`SyllableStream` per sample, and the flush for a sample's
    end: pieces reach it in NFC, jamo only once their syllable is complete."""
    streams: dict[int, SyllableStream] = {}

    def push(row: int, piece: str) -> None:
        text = streams.setdefault(row, SyllableStream()).push(piece)
        if text or not piece:
            on_piece(row, text)

    def flush(row: int) -> None:
        if row in streams and (text := streams[row].flush()):
            on_piece(row, text)

    return push, flush
