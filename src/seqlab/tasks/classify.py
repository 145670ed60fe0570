"""Text classification (many-to-one): a whole text -> one label.

Data: a delimited file (see :mod:`seqlab.data.delimited`). With a ``valid`` file the training
file is used whole; without one the task makes a seeded stratified split of the training file
(``1 - valid_fraction - test_fraction`` / ``valid_fraction`` / ``test_fraction``, 80/10/10 by
default) and writes the held-out test lines, unchanged, to ``RUN/test.tsv`` so that
``seqlab evaluate RUN --data RUN/test.tsv`` scores the model on examples it never saw.

Loss: cross-entropy, optionally weighted per class (``class_weight: balanced`` gives class k the
weight N / (K * count_k), so a 13% minority counts as much as the majority).
Metrics: loss, accuracy, macro F1 and per-class precision/recall; each validation also writes
``confusion.png`` in the run directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import Tensor, nn

from seqlab.analysis.classification_report import (
    classification_metrics,
    confusion_matrix,
    format_report,
    plot_confusion,
)
from seqlab.config import EmbeddingConfig, Fraction, NonNegative, Positive, RecurrentModelConfig
from seqlab.data.batching import pad_ids
from seqlab.data.delimited import LabelledText, read_delimited, stratified_split
from seqlab.data.io import iter_lines
from seqlab.data.overlap import contained_in_any
from seqlab.data.tokenizers import Tokenizer, build_tokenizer
from seqlab.data.vocab import UNK_ID, Vocab
from seqlab.errors import SeqlabError
from seqlab.models.build import embedding_choice, recurrent_shape
from seqlab.models.classifier import POOLINGS, SequenceClassifier
from seqlab.tasks.artifacts import Artifacts, labels
from seqlab.tasks.base import Task
from seqlab.tasks.options import ClassPrediction, EvaluateOptions, Evaluation, PredictOptions
from seqlab.tasks.text_data import TokenizedDataConfig
from seqlab.train.samples import SAMPLE_COUNT, Samples
from seqlab.train.task import DataNote

# ------------------------------------------------------------------------ configs


class ClassifyDataConfig(TokenizedDataConfig):
    """Where the labelled texts are and how they become tokens.

    train / valid: delimited files. Without ``valid``, a stratified split of ``train`` (seeded
        by ``train.seed``) holds out ``valid_fraction`` and ``test_fraction``.
    label_column / text_column: 0-based index (negative from the end) or header name.
    delimiter: the field separator ("\\t" for TSV). header: the first line names the columns.
    tokenizer: word | char. max_vocab: vocabulary cut (0 = none).
    max_length: keep the first N tokens of a text (0 = all).
    class_weight: none | balanced (inverse class frequency in the loss).
    unknown_label: error | skip, for a validation/evaluation label never seen in training.
    valid_overlap: keep | drop_substrings: drop the validation examples whose tokens (after the
        tokenizer and lowercasing) are a run of whole tokens of some training example, as most
        of a phrase-level treebank's random re-split are (:mod:`seqlab.data.overlap`). The
        counts are logged at the start; ``seqlab evaluate`` still scores a file whole.
    """

    lowercase: bool = True
    tokenizer: Literal["word", "char"] = "word"
    valid: str | None = None
    test_fraction: Fraction = 0.1
    label_column: int | str = 0
    text_column: int | str = 1
    delimiter: Annotated[str, Field(min_length=1)] = "\t"
    header: bool = False
    max_vocab: NonNegative = 0
    max_length: NonNegative = 0
    class_weight: Literal["none", "balanced"] = "none"
    unknown_label: Literal["error", "skip"] = "error"
    valid_overlap: Literal["keep", "drop_substrings"] = "keep"

    @model_validator(mode="after")
    def _leaves_training_data(self) -> ClassifyDataConfig:
        if self.valid is None and self.valid_fraction + self.test_fraction >= 1:
            raise ValueError("valid_fraction + test_fraction: must leave training data (< 1)")
        return self


class ClassifyModelConfig(RecurrentModelConfig):
    """embedding -> cell (bi)directional x num_layers -> pooling (last|mean|max) -> linear."""

    embedding_dim: Positive = 100
    hidden_size: Positive = 128
    dropout: Fraction = 0.3
    bidirectional: bool = True
    pooling: Literal[POOLINGS] = "last"
    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)


# ------------------------------------------------------------------------ task


class ClassifyTask(Task):
    name = "classify"
    DataConfig = ClassifyDataConfig
    ModelConfig = ClassifyModelConfig
    metric_modes = {"loss": "min", "accuracy": "max", "macro_f1": "max"}
    serves = ("classify",)
    batch_types = ("sentences", "tokens")

    def describe(self) -> dict[str, int | list[str]]:
        return {"tokens": len(self.vocab), "labels": self.labels}

    tokenizer: Tokenizer
    vocab: Vocab
    labels: list[str]
    run_dir: Path | None = None

    # -- reading -------------------------------------------------------------------------------
    def read(self, path: str) -> list[LabelledText]:
        d = self.config.data
        return read_delimited(
            path,
            label_column=d.label_column,
            text_column=d.text_column,
            delimiter=d.delimiter,
            header=d.header,
            encoding=d.encoding,
        )

    def encode_text(self, text: str) -> list[int]:
        tokens = self.tokenizer.tokenize(text)
        if self.config.data.max_length:
            tokens = tokens[: self.config.data.max_length]
        return self.vocab.encode(tokens) or [UNK_ID]  # an empty text still has one step

    def encode_examples(self, examples: list[LabelledText], path: str) -> tuple[list, list]:
        """(id lists, label ids); labels unseen in training follow ``data.unknown_label``."""
        index = {label: i for i, label in enumerate(self.labels)}
        ids, targets = [], []
        for ex in examples:
            if ex.label not in index:
                if self.config.data.unknown_label == "skip":
                    continue
                raise SeqlabError(
                    f"{path}:{ex.line}: label {ex.label!r} was not seen in training (known: "
                    f"{', '.join(self.labels)}); set data.unknown_label=skip to skip such lines"
                )
            ids.append(self.encode_text(ex.text))
            targets.append(index[ex.label])
        if not ids:
            raise SeqlabError(f"{path}: no example has a known label")
        return ids, targets

    def coverage_texts(self) -> dict[str, Any]:
        return {
            name: (self.tokenizer.tokenize(e.text) for e in examples)
            for name, examples in self.split_examples.items()
            if examples
        }

    # -- artifacts -----------------------------------------------------------------------------
    def prepare(self, artifacts: Path | None = None) -> None:
        d = self.config.data
        examples = self.read(d.train)
        self.test_examples: list[LabelledText] = []
        if d.valid:
            train, valid = examples, self.read(d.valid)
        else:
            fractions = (d.valid_fraction, d.test_fraction)
            parts = stratified_split([e.label for e in examples], fractions, self.config.train.seed)
            train, valid, self.test_examples = ([examples[i] for i in p] for p in parts)
        if artifacts is not None:
            self.load_artifacts(artifacts)
        else:
            self.tokenizer = build_tokenizer(
                d.tokenizer, (), lowercase=d.lowercase, decompose_hangul=d.decompose_hangul
            )
            streams = (self.tokenizer.tokenize(e.text) for e in train)
            self.vocab = Vocab.build(streams, d.min_freq, d.max_vocab or None)
            self.labels = sorted({e.label for e in train})
        if len(self.labels) < 2:
            raise SeqlabError(f"{d.train}: needs at least 2 labels, found {self.labels}")
        self.notes: list[DataNote] = []
        if valid and d.valid_overlap == "drop_substrings":
            valid = self._drop_substrings(train, valid, d.valid or d.train)
        self.split_examples = {"train": train, "valid": valid}
        self.train_ids, self.train_targets = self.encode_examples(train, d.train)
        sizes = [len(ids) for ids in self.train_ids]
        self.plan_batches(sizes, ", or cut texts shorter with data.max_length")
        self.valid_ids, self.valid_targets = ([], [])
        if valid:
            self.valid_ids, self.valid_targets = self.encode_examples(valid, d.valid or d.train)
        self.class_weights = self._class_weights()

    def _drop_substrings(self, train: list, valid: list, path: str) -> list[LabelledText]:
        """``valid`` less the examples found whole inside a training example (a data note)."""
        tokenize = self.tokenizer.tokenize
        inside = contained_in_any(
            [tokenize(e.text) for e in valid], (tokenize(e.text) for e in train)
        )
        kept = [e for e, drop in zip(valid, inside, strict=True) if not drop]
        if not kept:
            raise SeqlabError(f"{path}: data.valid_overlap drop_substrings leaves no example")
        counts = {"kept": len(kept), "dropped": len(valid) - len(kept)}
        line = (
            f"valid_overlap: kept {len(kept):,} of {len(valid):,} validation examples, dropped "
            f"{counts['dropped']:,} found inside a training example"
        )
        self.notes.append(DataNote("valid_overlap", line, counts))
        return kept

    def data_notes(self) -> list[DataNote]:
        return self.notes

    def _class_weights(self) -> Tensor | None:
        if self.config.data.class_weight == "none":
            return None
        counts = torch.bincount(torch.tensor(self.train_targets), minlength=len(self.labels))
        return len(self.train_targets) / (len(self.labels) * counts.clamp(min=1).float())

    def save_artifacts(self, run_dir: Path) -> None:
        files = Artifacts(run_dir)
        files.write_text_side("", self.tokenizer, self.vocab)
        files.write("labels.json", self.labels)
        if self.test_examples:
            header = self._header_line()
            lines = ([header] if header else []) + [e.raw for e in self.test_examples]
            (run_dir / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.run_dir = run_dir

    def _header_line(self) -> str | None:
        if not self.config.data.header:
            return None
        path = self.config.data.train
        return next(line for line in iter_lines(path, self.config.data.encoding) if line.strip())

    def load_artifacts(self, run_dir: Path) -> None:
        files = Artifacts(run_dir)
        self.tokenizer, self.vocab = files.text_side()
        self.labels = files.read("labels.json", labels)
        self.run_dir = run_dir

    # -- model ---------------------------------------------------------------------------------
    def model_sizes(self) -> dict[str, int]:
        return {"vocab_size": len(self.vocab), "num_classes": len(self.labels)}

    def make_model(self, config: ClassifyModelConfig, fresh: bool) -> SequenceClassifier:
        return SequenceClassifier(
            len(self.vocab),
            len(self.labels),
            recurrent_shape(config, bidirectional=config.bidirectional),
            pooling=config.pooling,
            embedding=embedding_choice(config.embedding, self.vocab.itos if fresh else None),
        )

    # -- training ------------------------------------------------------------------------------
    def train_batch(self, epoch: int, index: int) -> tuple[Tensor, Tensor, Tensor]:
        rows = self.batches.rows(epoch, index)
        ids, lengths = pad_ids([self.train_ids[i] for i in rows])
        return ids, lengths, torch.tensor([self.train_targets[i] for i in rows])

    def batch_tokens(self, batch) -> int:
        return int(batch[1].sum())

    def batch_positions(self, batch) -> tuple[int, int]:
        return int(batch[1].sum()), batch[0].numel()

    def batch_loss(self, model: nn.Module, batch, carry) -> tuple[Tensor, int, Any]:
        device = next(model.parameters()).device
        ids, lengths, targets = batch
        logits = model(ids.to(device), lengths)  # (B, C)
        weight = None if self.class_weights is None else self.class_weights.to(device)
        loss = F.cross_entropy(logits.float(), targets.to(device), weight=weight)
        return loss, len(targets), None

    @torch.no_grad()
    def predict_ids(self, model: nn.Module, ids: list[list[int]], batch_size: int = 0) -> Tensor:
        """Class probabilities (N, C) for id lists, in batches."""
        model.eval()
        device = next(model.parameters()).device
        size = batch_size or self.config.train.eval_batch_size or 128
        probs = []
        for start in range(0, len(ids), size):
            tokens, lengths = pad_ids(ids[start : start + size])
            probs.append(model(tokens.to(device), lengths).float().softmax(-1).cpu())
        return torch.cat(probs) if probs else torch.zeros(0, len(self.labels))

    def score(self, model: nn.Module, ids: list[list[int]], targets: list[int]) -> dict:
        """Loss (unweighted), metrics and the confusion matrix of a labelled set."""
        probs = self.predict_ids(model, ids)  # (N, C)
        target = torch.tensor(targets)
        loss = F.nll_loss(probs.clamp(min=1e-12).log(), target).item()
        confusion = confusion_matrix(target, probs.argmax(-1), len(self.labels))
        metrics = {"loss": loss, **classification_metrics(confusion, self.labels)}
        return {"metrics": metrics, "confusion": confusion}

    @torch.no_grad()
    def validate(self, model: nn.Module) -> dict[str, float]:
        ids, targets = self.valid_ids, self.valid_targets
        if not ids:  # no held-out data: report on (a slice of) the training set
            ids, targets = self.train_ids[:5000], self.train_targets[:5000]
        result = self.score(model, ids, targets)
        m = result["metrics"]
        out = {k: m[k] for k in ("loss", "accuracy", "macro_f1")}
        for label in self.labels[:10]:  # per-class figures; long label sets stay in the report
            out[f"precision_{label}"] = m[f"precision_{label}"]
            out[f"recall_{label}"] = m[f"recall_{label}"]
            out[f"f1_{label}"] = m[f"f1_{label}"]
        run_dir = Path(self.config.out_dir)
        if self.rank == 0 and run_dir.is_dir():
            plot_confusion(result["confusion"], self.labels, run_dir / "confusion.png", "valid")
        return out

    def validation_samples(self, model: nn.Module) -> Samples:
        """The first validation texts (as the model reads them): predicted and gold labels."""
        ids, targets = self.valid_ids[:SAMPLE_COUNT], self.valid_targets[:SAMPLE_COUNT]
        texts = [self.tokenizer.detokenize(self.vocab.decode(x)) for x in ids]
        probs = self.predict_ids(model, ids)  # (N, C)
        guesses = [f"{self.labels[int(p.argmax())]} ({float(p.max()):.2f})" for p in probs]
        gold = [self.labels[t] for t in targets]
        return Samples(("text", "predicted", "gold"), list(zip(texts, guesses, gold)))

    # -- use after training --------------------------------------------------------------------
    def evaluate(self, model: nn.Module, options: EvaluateOptions) -> Evaluation:
        """Accuracy, macro F1, per-class figures and a confusion matrix PNG for a labelled file."""
        path = options.data
        if not path:
            raise SeqlabError("evaluate: a classifier needs --data FILE (same columns as train)")
        ids, targets = self.encode_examples(self.read(path), path)
        result = self.score(model, ids, targets)
        metrics = result["metrics"]
        report = format_report(result["confusion"], self.labels, metrics)
        if self.run_dir is not None:
            png = self.run_dir / f"confusion_{Path(path).name}.png"
            plot_confusion(result["confusion"], self.labels, png, Path(path).name)
            report += f"\n\nconfusion matrix: {png}"
        return Evaluation({"examples": len(ids), **metrics}, report)

    def predict(
        self, model: nn.Module, lines: list[str], options: PredictOptions
    ) -> list[ClassPrediction]:
        """For each text: the predicted label, its probability and every class's probability."""
        probs = self.predict_ids(model, [self.encode_text(t) for t in lines], options.batch_size)
        out = []
        for text, p in zip(lines, probs, strict=True):
            best = int(p.argmax())
            every = {label: float(v) for label, v in zip(self.labels, p, strict=True)}
            out.append(ClassPrediction(text, self.labels[best], float(p[best]), every))
        return out
