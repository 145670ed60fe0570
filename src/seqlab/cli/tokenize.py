"""``seqlab tokenize``: the tokens a tokenizer makes of a text (characters, jamo, words or
sentencepiece subwords), to see what a model will read."""

from __future__ import annotations

import typer

from seqlab.data.chatterbot import chatterbot_pairs, is_chatterbot, language_of
from seqlab.data.io import iter_lines
from seqlab.data.tokenizers import TOKENIZER_KINDS, SentencePieceTokenizer, build_tokenizer
from seqlab.errors import SeqlabError


def training_lines(source: str) -> list[str]:
    """The lines a sentencepiece tokenizer learns from: a text file, or every turn of a
    ``chatterbot:LANGUAGE`` corpus."""
    if is_chatterbot(source):
        pairs = chatterbot_pairs(language_of(source))
        return list(dict.fromkeys(turn for pair in pairs for turn in pair))
    return list(iter_lines(source, what="training text"))


def register(app: typer.Typer) -> None:
    @app.command("tokenize")
    def tokenize_command(
        texts: list[str] = typer.Argument(..., metavar="TEXT...", help="Texts to tokenize."),
        kind: str = typer.Option(
            "char", "--tokenizer", help=f"One of {', '.join(TOKENIZER_KINDS)}."
        ),
        decompose_hangul: bool = typer.Option(
            False, "--decompose-hangul", help="char: one token per Hangul jamo, not per syllable."
        ),
        lowercase: bool = typer.Option(False, "--lowercase", help="Fold case first."),
        train: str | None = typer.Option(
            None, "--train", help="bpe/unigram: a text file or chatterbot:LANGUAGE to learn from."
        ),
        vocab_size: int = typer.Option(8000, "--vocab-size", help="bpe/unigram: at most this."),
    ) -> None:
        """Print each text's tokens (NFC first, as every tokenizer reads its input)."""
        needs_training = kind in ("bpe", "unigram")
        if needs_training and not train:
            raise SeqlabError(f"--tokenizer {kind} learns its subwords: give --train FILE")
        lines = training_lines(train) if needs_training and train else []
        tokenizer = build_tokenizer(
            kind, lines, vocab_size, lowercase=lowercase, decompose_hangul=decompose_hangul
        )
        if isinstance(tokenizer, SentencePieceTokenizer):
            pieces = len(tokenizer.pieces())
            typer.echo(f"{kind}: {pieces:,} pieces learned from {len(lines):,} lines of {train}")
        for text in texts:
            tokens = tokenizer.tokenize(text)
            typer.echo(f"{len(tokens)} tokens: {tokens}")
