"""Language modelling: predict the next token of a text (char-rnn, word_language_model).

Data: one training text (and optionally a validation text). Without a validation file the
last ``valid_fraction`` of the training text (characters for ``char``, lines otherwise) is held
out. Word and subword streams end every line with ``<eos>``; character streams keep ``\\n``.
Loss: cross-entropy in nats per token; metrics add perplexity and bits per token.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import torch
from pydantic import Field, model_validator
from torch import Tensor, nn

from seqlab.config import (
    EmbeddingConfig,
    NonNegative,
    Positive,
    RecurrentModelConfig,
    TransformerFields,
    TupleOf,
)
from seqlab.data.batching import pad_ids
from seqlab.data.io import read_text
from seqlab.data.lm_stream import LMStream, as_tensor, split_text, stream_rows
from seqlab.data.normalize import composing, nfc
from seqlab.data.tokenizers import Tokenizer, build_tokenizer
from seqlab.data.vocab import EOS, UNK, Vocab
from seqlab.decode.loop import decode
from seqlab.decode.strategy import Beam, Sample
from seqlab.errors import ConfigError, SeqlabError
from seqlab.models.build import block_shape, embedding_choice, recurrent_shape
from seqlab.models.lm import CutoffError, LanguageModel
from seqlab.models.transformer_lm import TransformerLM
from seqlab.nn.recurrent import detach_state
from seqlab.tasks.artifacts import Artifacts
from seqlab.tasks.base import PieceCallback, Task
from seqlab.tasks.options import (
    EvaluateOptions,
    Evaluation,
    GenerateOptions,
    shared_decoding,
    split_rows,
)
from seqlab.tasks.text_data import TokenizedDataConfig
from seqlab.train.samples import Samples


class LMDataConfig(TokenizedDataConfig):
    """Where the text is and how it becomes tokens (see :class:`TokenizedDataConfig`).

    train / valid: text files (plain or .gz). valid_fraction: held-out tail when no valid file.
    vocab_size: sentencepiece target size (bpe, unigram).
    max_vocab: vocabulary cut-off (word level; 0 = no cap).
    bptt: truncated-BPTT window length T.
    word_split: regex (words and punctuation apart) | whitespace (for pre-tokenized text such
        as PTB, where splitting "'s" or "u.s." again would change the token count).
    """

    valid: str | None = None
    vocab_size: Positive = 8000
    max_vocab: NonNegative = 0
    word_split: Literal["regex", "whitespace"] = "regex"
    bptt: Positive = 128


class LMModelConfig(TransformerFields, RecurrentModelConfig):
    """embedding -> cell x num_layers -> linear (see :class:`RecurrentModelConfig`), or with
    ``arch: transformer`` a decoder-only Transformer, GPT-style (see :class:`TransformerFields`):
    embedding + positions -> causal blocks -> linear, reading windows of ``data.bptt`` tokens,
    each on its own (nothing carried from one window to the next); generation slides that
    window along once it is full.

    tie_weights: the output layer reuses the embedding matrix.
    softmax: full | adaptive (torch's AdaptiveLogSoftmaxWithLoss, for large word vocabularies).
    adaptive_cutoffs: id boundaries of the head and tail clusters (empty = 20% / 60% of V).
    adaptive_div_value: each tail cluster's projection is this many times smaller.
    """

    hidden_size: Positive = 512
    num_layers: Positive = 2
    tie_weights: bool = False
    softmax: Literal["full", "adaptive"] = "full"
    adaptive_cutoffs: TupleOf[int] = ()
    adaptive_div_value: Annotated[float, Field(gt=0)] = 4.0
    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)

    RECURRENT_ONLY = (
        "cell",
        "hidden_size",
        "softmax",
        "adaptive_cutoffs",
        "adaptive_div_value",
        "embedding",
    )

    @model_validator(mode="after")
    def _softmax_fits(self) -> LMModelConfig:
        cuts = self.adaptive_cutoffs
        if any(c <= 0 for c in cuts) or list(cuts) != sorted(set(cuts)):
            raise ValueError(
                f"adaptive_cutoffs: expected increasing positive ids, got {list(cuts)}"
            )
        if self.softmax == "adaptive" and self.tie_weights:
            raise ValueError("tie_weights: needs model.softmax 'full', not 'adaptive'")
        return self


class LanguageModelTask(Task):
    name = "lm"
    DataConfig = LMDataConfig
    ModelConfig = LMModelConfig
    metric_modes = {"loss": "min", "ppl": "min", "bpt": "min"}
    serves = ("generate",)
    ensemble_class = None  # scoring reads outputs (adaptive softmax, carried state) not averaged

    def describe(self) -> dict[str, int | list[str]]:
        return {"tokens": len(self.vocab)}

    tokenizer: Tokenizer
    vocab: Vocab

    # -- text -> ids ---------------------------------------------------------------------------
    def token_stream(self, text: str) -> list[str]:
        if self.tokenizer.keeps_newlines:
            return self.tokenizer.tokenize(text)
        out: list[str] = []
        for line in text.splitlines():
            if line.strip():
                out.extend(self.tokenizer.tokenize(line))
                out.append(EOS)
        return out

    def encode(self, text: str) -> Tensor:
        return as_tensor(self.vocab.encode(self.token_stream(text)))

    # -- artifacts -----------------------------------------------------------------------------
    def prepare(self, artifacts: Path | None = None) -> None:
        d = self.config.data
        text = read_text(d.train, d.encoding, what="training text")
        valid_text = read_text(d.valid, d.encoding, what="validation text") if d.valid else None
        if valid_text is None:
            text, valid_text = split_text(text, d.valid_fraction, d.tokenizer != "char")
        if artifacts is not None:
            self.load_artifacts(artifacts)
        else:
            self.tokenizer = build_tokenizer(
                d.tokenizer,
                text.splitlines(),
                d.vocab_size,
                lowercase=d.lowercase,
                word_split_mode=d.word_split,
                decompose_hangul=d.decompose_hangul,
            )
            self.vocab = Vocab.build([self.token_stream(text)], d.min_freq, d.max_vocab or None)
        B = self.config.train.batch_size
        self.train_ids = self.encode(text)
        need = B * (d.bptt + 1)
        if self.train_ids.numel() < need:
            raise SeqlabError(
                f"{d.train}: {self.train_ids.numel():,} training tokens, fewer than one BPTT "
                f"window for batch {B} x (bptt {d.bptt} + 1) = {need:,}; use more text or lower "
                f"train.batch_size / data.bptt"
            )
        self.stream = LMStream(self.train_ids, B, d.bptt)
        self.rows = stream_rows(B, self.rank, self.world_size)
        self.valid_ids = self.encode(valid_text) if valid_text else None

    def save_artifacts(self, run_dir: Path) -> None:
        Artifacts(run_dir).write_text_side("", self.tokenizer, self.vocab)

    def load_artifacts(self, run_dir: Path) -> None:
        self.tokenizer, self.vocab = Artifacts(run_dir).text_side()

    # -- model ---------------------------------------------------------------------------------
    def model_sizes(self) -> dict[str, int]:
        return {"vocab_size": len(self.vocab)}

    def make_model(self, config: LMModelConfig, fresh: bool) -> LanguageModel | TransformerLM:
        if config.arch == "transformer":
            return TransformerLM(
                len(self.vocab),
                block_shape(config),
                num_layers=config.num_layers,
                max_len=self.config.data.bptt,
                positions=config.positions,
                tie_weights=config.tie_weights,
            )
        try:
            return LanguageModel(
                len(self.vocab),
                recurrent_shape(config),
                embedding=embedding_choice(config.embedding, self.vocab.itos if fresh else None),
                tie_weights=config.tie_weights,
                softmax=config.softmax,
                cutoffs=list(config.adaptive_cutoffs),
                div_value=config.adaptive_div_value,
            )
        except CutoffError as e:
            raise ConfigError(f"model.{e}") from None

    # -- training ------------------------------------------------------------------------------
    def num_batches(self, epoch: int) -> int:
        return len(self.stream)

    def train_batch(self, epoch: int, index: int) -> tuple[Tensor, Tensor]:
        return self.stream.window(index, self.rows)

    def batch_tokens(self, batch) -> int:
        return batch[0].numel()

    def batch_loss(self, model: nn.Module, batch, carry) -> tuple[Tensor, int, Any]:
        device = next(model.parameters()).device
        inputs, targets = (t.to(device, non_blocking=True) for t in batch)
        if not carries_state(model):  # a Transformer reads each window on its own
            nll, _ = model(inputs, None, targets)  # (B, T)
            return nll.mean(), targets.numel(), None
        nll, state = model(inputs, detach_state(carry), targets)  # (B, T)
        return nll.mean(), targets.numel(), state

    @torch.no_grad()
    def validate(self, model: nn.Module) -> dict[str, float]:
        ids = self.valid_ids if self.valid_ids is not None and self.valid_ids.numel() > 1 else None
        if ids is None:
            ids = self.train_ids[:100_000]
        size = self.config.train.eval_batch_size or 16
        return evaluate_stream(model, ids, size, self.config.data.bptt)

    def validation_samples(self, model: nn.Module) -> Samples:
        """A short sample after a newline, drawn with the run's seed (the same draw each time)."""
        options = GenerateOptions(max_tokens=200, strategy=Sample(0.8, seed=self.config.train.seed))
        return Samples(("sample",), [(text,) for text in self.generate(model, options)])

    # -- use after training --------------------------------------------------------------------
    def evaluate(self, model: nn.Module, options: EvaluateOptions) -> Evaluation:
        """Loss (nats/token), perplexity, bits per token and the <unk> rate on a text file."""
        if options.data is None:
            raise SeqlabError("evaluate: a language model needs --data FILE")
        ids = self.encode(read_text(options.data, options.encoding, what="evaluation text"))
        if ids.numel() < 2:
            raise SeqlabError(
                f"{options.data}: needs at least 2 tokens to evaluate, found {ids.numel()}"
            )
        m = evaluate_stream(model, ids, 16, self.config.data.bptt)
        m["unk_rate"] = float((ids == self.vocab.stoi[UNK]).float().mean())
        unit = {"char": "char", "word": "word"}.get(self.tokenizer.kind, "token")
        report = "\n".join(
            [
                f"tokens      {int(m['tokens']):,}",
                f"loss        {m['loss']:.4f} nats/{unit}",
                f"perplexity  {m['ppl']:.2f}",
                f"bits/{unit:<5}  {m['bpt']:.4f}",
                f"<unk> rate  {m['unk_rate']:.2%}",
            ]
        )
        return Evaluation(m, report)

    def check_generate(self, options: GenerateOptions) -> None:
        self.prime_ids(options.prime)

    def prime_ids(self, prime: str) -> Tensor:
        """Token ids (T,) of a prime text (a newline when empty); characters outside a char
        model's vocabulary are an error."""
        if not prime:
            return torch.tensor([self.vocab.stoi.get("\n", self.vocab.stoi[EOS])])
        tokens = self.tokenizer.tokenize(prime)
        if self.tokenizer.kind == "char":
            unknown = sorted({t for t in tokens if t not in self.vocab})
            if unknown:
                raise SeqlabError(
                    f"prime: character(s) {''.join(unknown)!r} are not in this model's "
                    f"vocabulary of {len(self.vocab) - 4} characters"
                )
        return torch.tensor(self.vocab.encode(tokens), dtype=torch.long)

    def piece(self, token: int) -> str:
        """The text of one generated token: a character, " word", a subword, or a newline."""
        kind = self.tokenizer.kind
        if kind == "char":
            return self.vocab.itos[token] if token > 3 else ""
        if token == self.vocab.stoi[EOS]:
            return "\n"
        text = self.vocab.itos[token]
        return text.replace("\u2581", " ") if kind in ("bpe", "unigram") else " " + text

    def generate_many(
        self,
        model: nn.Module,
        requests: list[GenerateOptions],
        on_piece: PieceCallback | None = None,
    ) -> list[list[str]]:
        """Continuations of each request's prime (each starting with it), fed back token by
        token; ``on_piece(i, text)`` receives each sample's pieces as they are made (in NFC: a
        jamo model's pieces arrive as whole syllables)."""
        if on_piece is not None:
            on_piece, flush = composing(on_piece)
        strategy, length = shared_decoding(requests)
        ns = [r.n or self.default_samples for r in requests]
        primes = [
            self.prime_ids(r.prime) for r, n in zip(requests, ns, strict=True) for _ in range(n)
        ]
        texts = [[r.prime] for r, n in zip(requests, ns, strict=True) for _ in range(n)]
        streaming = not isinstance(strategy, Beam)

        def on_token(rows: list[int], tokens: list[int]) -> None:
            for row, token in zip(rows, tokens, strict=True):
                texts[row].append(self.piece(token))
                if on_piece is not None:
                    on_piece(row, texts[row][-1])

        if on_piece is not None:
            for row, parts in enumerate(texts):
                on_piece(row, parts[0])
        hyps = self._decode_primes(
            model, primes, strategy, length, on_token if streaming else None, ns
        )
        for row in range(len(texts)):
            if not streaming:
                texts[row].append("".join(self.piece(t) for t in hyps[row][0].tokens))
                if on_piece is not None:
                    on_piece(row, texts[row][-1])
            if on_piece is not None:
                flush(row)
        return split_rows([nfc("".join(parts)) for parts in texts], ns)

    def _decode_primes(self, model, primes: list[Tensor], strategy, length: int, on_token, groups):
        """Decode from primes (T_i,) each: all but their last token read first (right padded)."""
        device = next(model.parameters()).device
        context, lengths = pad_ids([p[:-1].tolist() for p in primes])  # (B, T-1), (B,)
        same = bool((lengths == lengths[0]).all())
        with torch.inference_mode():
            state = model.start(
                context[:, : int(lengths.max())].to(device), None if same else lengths
            )
        return decode(
            model,
            state,
            strategy,
            first=torch.tensor([int(p[-1]) for p in primes], device=device),
            limits=torch.full((len(primes),), length, device=device),
            eos=None if on_token is not None else self.vocab.stoi[EOS],
            on_token=on_token,
            scores=on_token is None,
            groups=groups,
        )


@torch.no_grad()
def evaluate_stream(model: nn.Module, ids: Tensor, batch_size: int, bptt: int) -> dict[str, float]:
    """Mean cross-entropy (nats/token), perplexity and bits/token over a whole id stream."""
    model.eval()
    device = next(model.parameters()).device
    batch_size = max(1, min(batch_size, (ids.numel() - 1) // 2))
    stream = LMStream(ids, batch_size, bptt)
    total, count, state = 0.0, 0, None
    carries = carries_state(model)
    for i in range(len(stream)):
        inputs, targets = (t.to(device) for t in stream.window(i))
        nll, state = model(inputs, state, targets)  # (B, T)
        state = state if carries else None
        total += nll.sum().item()
        count += targets.numel()
    loss = total / max(1, count)
    return {
        "loss": loss,
        "ppl": math.exp(min(loss, 50)),
        "bpt": loss / math.log(2),
        "tokens": count,
    }


def carries_state(model: nn.Module) -> bool:
    """Whether the model carries a state from one window to the next (a recurrent LM, under
    truncated BPTT) or reads each window on its own (a Transformer: ``carries_state = False``)."""
    return getattr(getattr(model, "module", model), "carries_state", True)
