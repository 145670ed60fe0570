"""Conditional generation (one-to-many): a class or a feature vector -> a sequence.

Data (see :mod:`seqlab.data.names`): a directory of ``<class>.txt`` files (surnames by
language), or a target file plus a ``.npy`` matrix with one feature row per target line. A
seeded ``valid_fraction`` of the targets (stratified by class) is held out.

Loss: cross-entropy of each next token given the condition and the tokens so far, ``<eos>``
included, in nats per token (per character with the char tokenizer).
Metrics: held-out ``loss`` (NLL per character) and ``copy_rate``, the share of ``samples``
names generated at temperature 1 that are copies of a training target: a model that memorises
its data scores near 1, one that invents new names much lower.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.config import Fraction, NonNegative, Positive, RecurrentModelConfig
from seqlab.data.batching import pad_ids
from seqlab.data.delimited import stratified_split
from seqlab.data.names import Target, load_features, read_class_dir, read_targets
from seqlab.data.tokenizers import Tokenizer, build_tokenizer
from seqlab.data.vocab import EOS_ID, PAD_ID, SOS_ID, Vocab
from seqlab.decode.loop import decode
from seqlab.decode.strategy import Beam, Sample, Strategy
from seqlab.errors import SeqlabError
from seqlab.models.build import recurrent_shape
from seqlab.models.cond_generator import ConditionalGenerator
from seqlab.tasks.artifacts import Artifacts, labels
from seqlab.tasks.base import PieceCallback, Task
from seqlab.tasks.options import GenerateOptions, shared_decoding, split_rows
from seqlab.tasks.text_data import TokenizedDataConfig
from seqlab.train.samples import SAMPLE_COUNT, Samples


class CondGenDataConfig(TokenizedDataConfig):
    """Targets and their conditions.

    train: a directory of ``<class>.txt`` files, or a file with one target per line.
    features: a ``.npy`` matrix with one row per line of ``train`` (vector conditions).
    valid_fraction: held-out targets. tokenizer: char | word. max_length: tokens kept per target.
    samples: names generated at each validation to measure ``copy_rate`` (0 = skip).
    """

    tokenizer: Literal["char", "word"] = "char"
    features: str | None = None
    max_length: Positive = 40
    samples: NonNegative = 200


class CondGenModelConfig(RecurrentModelConfig):
    """condition -> initial state (and, optionally, an extra input at every step) -> RNN."""

    cell: Literal["rnn", "lstm", "gru"] = "gru"
    embedding_dim: Positive = 32
    hidden_size: Positive = 128
    dropout: Fraction = 0.1
    condition_dim: Positive = 32
    condition_every_step: bool = True


class CondGenTask(Task):
    name = "condgen"
    DataConfig = CondGenDataConfig
    ModelConfig = CondGenModelConfig
    metric_modes = {"loss": "min", "copy_rate": "min"}
    serves = ("generate",)
    batch_types = ("sentences", "tokens")
    ensemble_class = None  # nothing to ensemble: it generates only

    def describe(self) -> dict[str, int | list[str]]:
        conditions = {"labels": self.labels} if self.labels else {"features": self.feature_size}
        return {"tokens": len(self.vocab), **conditions}

    default_samples = 10

    tokenizer: Tokenizer
    vocab: Vocab
    labels: list[str]  # empty when conditions are feature vectors
    feature_size: int = 0

    # -- data ----------------------------------------------------------------------------------
    def read(self) -> tuple[list[Target], np.ndarray | None]:
        d = self.config.data
        if d.features:
            targets = read_targets(d.train, d.encoding)
            return targets, load_features(d.features, len(targets), d.train)
        if not Path(d.train).is_dir():
            raise SeqlabError(
                f"{d.train}: expected a directory of <class>.txt files, or set data.features "
                "to a .npy matrix with one row per line of this file"
            )
        return read_class_dir(d.train, d.encoding), None

    def encode_text(self, text: str) -> list[int]:
        return self.vocab.encode(self.tokenizer.tokenize(text)[: self.config.data.max_length])

    def prepare(self, artifacts: Path | None = None) -> None:
        d = self.config.data
        targets, features = self.read()
        parts = stratified_split(
            [t.label for t in targets], (d.valid_fraction,), self.config.train.seed
        )
        if artifacts is not None:
            self.load_artifacts(artifacts)
        else:
            self.tokenizer = build_tokenizer(
                d.tokenizer, (), lowercase=d.lowercase, decompose_hangul=d.decompose_hangul
            )
            train = [targets[i].text for i in parts[0]]
            self.vocab = Vocab.build((self.tokenizer.tokenize(t) for t in train), d.min_freq)
            self.labels = sorted({t.label for t in targets}) if features is None else []
            self.feature_size = 0 if features is None else features.shape[1]
        index = {label: i for i, label in enumerate(self.labels)}

        def conditions(rows: list[int]) -> Tensor:
            if features is not None:
                return torch.from_numpy(features[rows])  # (N, F)
            return torch.tensor([index[targets[i].label] for i in rows], dtype=torch.long)

        self.train_ids = [self.encode_text(targets[i].text) for i in parts[0]]
        self.train_cond = conditions(parts[0])
        self.plan_batches([len(ids) + 1 for ids in self.train_ids])  # <sos> y, y <eos>
        self.valid_ids = [self.encode_text(targets[i].text) for i in parts[1]]
        self.valid_cond = conditions(parts[1])
        self.train_texts = {self.normalise(targets[i].text) for i in parts[0]}

    def normalise(self, text: str) -> str:
        return self.tokenizer.detokenize(self.tokenizer.tokenize(text))

    def save_artifacts(self, run_dir: Path) -> None:
        files = Artifacts(run_dir)
        files.write("tokenizer.json", self.tokenizer.to_dict())
        sizes = {"labels": self.labels, "feature_size": self.feature_size}
        files.write("vocab.json", {"vocab": self.vocab.to_dict(), **sizes})
        # the training targets, so that copies can be counted from the run directory alone
        targets = "\n".join(sorted(self.train_texts)) + "\n"
        (run_dir / "train_targets.txt").write_text(targets, encoding="utf-8")

    def load_artifacts(self, run_dir: Path) -> None:
        files = Artifacts(run_dir)
        self.tokenizer = files.tokenizer()
        self.vocab, self.labels, self.feature_size = files.read(
            "vocab.json",
            lambda d: (Vocab.from_dict(d["vocab"]), labels(d["labels"]), int(d["feature_size"])),
        )
        self.train_texts = set(files.read_text("train_targets.txt").splitlines())

    # -- model ---------------------------------------------------------------------------------
    def model_sizes(self) -> dict[str, int]:
        sizes = {"vocab_size": len(self.vocab), "num_classes": len(self.labels)}
        return {**sizes, "feature_size": self.feature_size}

    def make_model(self, config: CondGenModelConfig, fresh: bool) -> ConditionalGenerator:
        return ConditionalGenerator(
            len(self.vocab),
            recurrent_shape(config),
            num_classes=len(self.labels),
            feature_size=self.feature_size,
            condition_dim=config.condition_dim,
            condition_every_step=config.condition_every_step,
        )

    # -- training ------------------------------------------------------------------------------
    @staticmethod
    def collate(ids: list[list[int]], cond: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """-> inputs <sos> y (B, T), targets y <eos> (B, T; pad = -100), lengths, conditions."""
        inputs, lengths = pad_ids([[SOS_ID, *s] for s in ids])
        targets, _ = pad_ids([[*s, EOS_ID] for s in ids], pad=-100)
        return inputs, targets, lengths, cond

    def train_batch(self, epoch: int, index: int):
        rows = self.batches.rows(epoch, index)
        return self.collate([self.train_ids[i] for i in rows], self.train_cond[rows])

    def batch_tokens(self, batch) -> int:
        return int(batch[2].sum())

    def batch_positions(self, batch) -> tuple[int, int]:
        return int(batch[2].sum()), batch[0].numel()

    def batch_loss(self, model: nn.Module, batch, carry) -> tuple[Tensor, int, Any]:
        device = next(model.parameters()).device
        inputs, targets, lengths, cond = batch
        logits = model(inputs.to(device), cond.to(device), lengths)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.to(device).flatten())
        return loss, int(lengths.sum()), None

    @torch.no_grad()
    def validate(self, model: nn.Module) -> dict[str, float]:
        ids, cond = (
            (self.valid_ids, self.valid_cond)
            if self.valid_ids
            else (self.train_ids[:2000], self.train_cond[:2000])
        )
        model.eval()
        device = next(model.parameters()).device
        size = self.config.train.eval_batch_size or 256
        total, count = 0.0, 0
        for start in range(0, len(ids), size):
            inputs, targets, lengths, c = self.collate(
                ids[start : start + size], cond[start : start + size]
            )
            logits = model(inputs.to(device), c.to(device), lengths)  # (B, T, V)
            total += F.cross_entropy(
                logits.flatten(0, 1).float(), targets.to(device).flatten(), reduction="sum"
            ).item()
            count += int((targets != -100).sum())
        metrics = {"loss": total / max(1, count)}
        n = self.config.data.samples
        if n:
            gen = torch.Generator().manual_seed(self.config.train.seed)
            picks = torch.randint(len(cond), (n,), generator=gen)
            texts = self.sample(model, cond[picks], Sample(1.0, generator=gen))
            metrics["copy_rate"] = self.copy_rate(texts)
        return metrics

    def validation_samples(self, model: nn.Module) -> Samples:
        """Samples at temperature 1 (drawn with the run's seed: the same draw each time) for the
        first validation conditions: a class, or a feature row."""
        cond = self.valid_cond[:SAMPLE_COUNT]
        names = [
            self.labels[int(c)] if self.labels else f"valid row {i}" for i, c in enumerate(cond)
        ]
        texts = self.sample(model, cond, Sample(1.0, seed=self.config.train.seed))
        return Samples(("condition", "output"), list(zip(names, texts)))

    def copy_rate(self, texts: list[str]) -> float:
        return sum(t in self.train_texts for t in texts) / max(1, len(texts))

    # -- generation ----------------------------------------------------------------------------
    def sample(
        self,
        model: nn.Module,
        cond: Tensor,
        strategy: Strategy,
        max_length: int | None = None,
        *,
        groups: list[int] | None = None,
    ) -> list[str]:
        """Texts for condition rows (B,) or (B, F), decoded token by token until <eos> (or
        ``max_length`` tokens; default ``data.max_length`` + 1); <pad> and <sos> never come.
        One per row, or each row's ``n_best`` for beam search."""
        model.eval()
        device = next(model.parameters()).device
        limit = max_length or self.config.data.max_length + 1
        with torch.inference_mode():
            state = model.start(cond.to(device))
        hyps = decode(
            model,
            state,
            strategy,
            first=torch.full((cond.shape[0],), SOS_ID, dtype=torch.long, device=device),
            limits=torch.full((cond.shape[0],), limit, device=device),
            eos=EOS_ID,
            banned=(PAD_ID, SOS_ID),
            scores=False,
            groups=groups,
        )
        return [self.tokenizer.detokenize(self.vocab.decode(h.tokens)) for hs in hyps for h in hs]

    def check_generate(self, options: GenerateOptions) -> None:
        if self.labels:
            self.parse_condition(options.condition, 1)

    def parse_condition(self, condition: str | None, n: int) -> Tensor:
        """A class name, or ``FILE.npy`` / ``FILE.npy:ROW`` for feature conditions; n copies."""
        if self.labels:
            if condition not in self.labels:
                given = "no condition" if condition is None else f"{condition!r} is not a class"
                raise SeqlabError(f"generate: {given}; expected one of {', '.join(self.labels)}")
            return torch.full((n,), self.labels.index(condition), dtype=torch.long)
        if not condition:
            raise SeqlabError("generate: --condition FILE.npy[:ROW] is required (feature model)")
        path, _, row = condition.partition(":")
        matrix = load_features(path)
        if matrix.shape[1] != self.feature_size:
            raise SeqlabError(
                f"{path}: {matrix.shape[1]} features per row, the model takes {self.feature_size}"
            )
        index = int(row) if row.isdigit() else 0
        if index >= matrix.shape[0]:
            raise SeqlabError(f"{path}: row {index} does not exist ({matrix.shape[0]} rows)")
        return torch.from_numpy(matrix[index]).expand(n, -1).clone()

    def generate_many(
        self,
        model: nn.Module,
        requests: list[GenerateOptions],
        on_piece: PieceCallback | None = None,
    ) -> list[list[str]]:
        """For each request, ``n`` (default 10) samples for its condition; beam search gives
        the n best outputs of one search. ``on_piece`` receives each whole sample."""
        strategy, length = shared_decoding(requests)
        ns = [r.n or self.default_samples for r in requests]
        if isinstance(strategy, Beam):  # one search per request, its n best outputs
            out = []
            for r, n in zip(requests, ns, strict=True):
                best = replace(strategy, n_best=min(n, strategy.size))
                out.append(self.sample(model, self.parse_condition(r.condition, 1), best, length))
        else:
            cond = torch.cat([self.parse_condition(r.condition, n) for r, n in zip(requests, ns)])
            out = split_rows(self.sample(model, cond, strategy, length, groups=ns), ns)
        if on_piece is not None:
            for i, text in enumerate(t for texts in out for t in texts):
                on_piece(i, text)
        return out
