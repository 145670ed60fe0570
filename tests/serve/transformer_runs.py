"""Tiny trained Transformer runs to serve beside the tiny recurrent ones (``model.arch:
transformer``): a character language model and an encoder-decoder on the s2s run's pairs."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PAIRS, _train

TRANSFORMER = "{arch: transformer, embedding_dim: 16, num_layers: 2, num_heads: 2, dropout: 0.0}"


def train_transformer_runs(root: Path) -> dict[str, Path]:
    """name -> run directory: "tlm" (lm, char, a window of 64) and "ts2s" (seq2seq, word)."""
    text = root / "text.txt"
    text.write_text("the quick brown fox jumps over the lazy dog.\n" * 60)
    pairs = root / "pairs.tsv"
    pairs.write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS * 4))
    return {
        "tlm": _train(
            root, "tlm", "lm", f"{{train: {text}, tokenizer: char, bptt: 64}}", TRANSFORMER,
            "batch_size: 8, max_steps: 40, lr: 0.01, eval_every: 40",
        ),
        "ts2s": _train(
            root, "ts2s", "seq2seq", f"{{train: {pairs}, tokenizer: word, valid_fraction: 0.0}}",
            TRANSFORMER, "batch_size: 8, max_steps: 100, lr: 0.01, eval_every: 100",
        ),
    }  # fmt: skip
