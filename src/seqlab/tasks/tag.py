"""Sequence tagging (many-to-many, synchronous): one BIO tag per token, e.g. named entities.

Data: CoNLL-style files (see :mod:`seqlab.data.conll`); IOB1 files (CoNLL-03) are rewritten as
BIO on reading. Without a ``valid`` file a seeded ``valid_fraction`` of the sentences is held
out. Words are looked up in a word vocabulary (optionally lowercased); with character features
each word's characters (case kept) are read too, so unseen words still get a useful vector.

Loss: per-token cross-entropy (softmax output) or the CRF's gold-path negative log-likelihood
per token (crf output). Metrics: seqeval entity-level precision, recall and F1 (conlleval
rules), overall and per entity type (``f1_PER``, ...), plus token accuracy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.data.batching import pad_ids
from seqlab.data.conll import (
    TaggedSentence,
    bio_to_iobes,
    entity_spans,
    iobes_to_bio,
    read_conll,
)
from seqlab.data.delimited import stratified_split
from seqlab.data.normalize import nfc
from seqlab.data.vector_lookup import zero_digits
from seqlab.data.vocab import Vocab
from seqlab.errors import SeqlabError
from seqlab.models.build import embedding_choice, recurrent_shape
from seqlab.models.tagger import SequenceTagger, lengths_mask
from seqlab.models.tagger_ensemble import TaggerEnsemble
from seqlab.tasks.artifacts import Artifacts, labels
from seqlab.tasks.base import Task
from seqlab.tasks.options import EvaluateOptions, Evaluation, PredictOptions, TagPrediction
from seqlab.tasks.tag_config import TagDataConfig, TagModelConfig
from seqlab.train.samples import SAMPLE_COUNT, Samples


class TagTask(Task):
    name = "tag"
    DataConfig = TagDataConfig
    ModelConfig = TagModelConfig
    serves = ("tag",)
    batch_types = ("sentences", "tokens")
    ensemble_class = TaggerEnsemble  # the mean emissions, before Viterbi

    def describe(self) -> dict[str, int | list[str]]:
        types = sorted({t[2:] for t in self.tags if t != "O"})
        return {"words": len(self.words), "chars": len(self.chars), "entity_types": types}

    metric_modes = {
        "loss": "min",
        "f1": "max",
        "precision": "max",
        "recall": "max",
        "accuracy": "max",
    }

    words: Vocab
    chars: Vocab
    tags: list[str]

    # -- reading -------------------------------------------------------------------------------
    def read(self, path: str) -> list[TaggedSentence]:
        d = self.config.data
        return read_conll(
            path,
            token_column=d.token_column,
            tag_column=d.tag_column,
            scheme=d.scheme,
            bad_tags=d.bad_tags,
            encoding=d.encoding,
        )

    def word_of(self, token: str) -> str:
        """The token's form in the word vocabulary."""
        d = self.config.data
        word = token.lower() if d.lowercase else token
        return zero_digits(word) if d.normalize_digits else word

    def model_tags(self, tags: list[str]) -> list[str]:
        """BIO tags as the model learns them (``data.tag_encoding``)."""
        return bio_to_iobes(tags) if self.config.data.tag_encoding == "iobes" else tags

    def encode_tokens(self, tokens: list[str]) -> tuple[list[int], list[list[int]]]:
        """Word ids (T,) and per-word char ids (T, <= max_word_length), looked up in NFC."""
        width = self.config.data.max_word_length
        tokens = [nfc(t) for t in tokens]
        ids = self.words.encode(self.word_of(t) for t in tokens)
        chars = [self.chars.encode(t[:width]) for t in tokens]
        return ids, chars

    def encode(self, sentences: list[TaggedSentence]) -> list[tuple]:
        index = {t: i for i, t in enumerate(self.tags)}
        outside = index["O"]
        return [
            (
                *self.encode_tokens(s.tokens),
                [index.get(t, outside) for t in self.model_tags(s.tags)],
            )
            for s in sentences
        ]

    def coverage_texts(self) -> dict[str, Any]:
        pairs = {"train": self.train_sentences, "valid": self.valid_sentences}.items()
        return {k: ([self.word_of(nfc(t)) for t in s.tokens] for s in v) for k, v in pairs if v}

    # -- artifacts -----------------------------------------------------------------------------
    def prepare(self, artifacts: Path | None = None) -> None:
        d = self.config.data
        train = self.read(d.train)
        if d.valid:
            valid = self.read(d.valid)
        else:
            same = ["-"] * len(train)
            parts = stratified_split(same, (d.valid_fraction,), self.config.train.seed)
            train, valid = ([train[i] for i in p] for p in parts)
        if artifacts is not None:
            self.load_artifacts(artifacts)
        else:
            self.words = Vocab.build(
                ([self.word_of(t) for t in s.tokens] for s in train),
                d.min_freq,
                d.max_vocab or None,
            )
            self.chars = Vocab.build(list(t) for s in train for t in s.tokens)
            seen = {t for s in train for t in self.model_tags(s.tags)}
            self.tags = ["O", *sorted(seen - {"O"})]
        self.train_data = self.encode(train)
        self.plan_batches([len(row[0]) for row in self.train_data])
        if d.valid:
            self.check_types(valid, d.valid)
        self.train_sentences, self.valid_sentences = train, valid
        self.valid_data = self.encode(valid) if valid else []

    def save_artifacts(self, run_dir: Path) -> None:
        data = {"words": self.words.to_dict(), "chars": self.chars.to_dict(), "tags": self.tags}
        Artifacts(run_dir).write("vocab.json", data)

    def load_artifacts(self, run_dir: Path) -> None:
        self.words, self.chars, self.tags = Artifacts(run_dir).read(
            "vocab.json",
            lambda d: (Vocab.from_dict(d["words"]), Vocab.from_dict(d["chars"]), labels(d["tags"])),
        )

    # -- model ---------------------------------------------------------------------------------
    def model_sizes(self) -> dict[str, int]:
        return {
            "vocab_size": len(self.words),
            "num_tags": len(self.tags),
            "num_chars": len(self.chars),
        }

    def make_model(self, config: TagModelConfig, fresh: bool) -> SequenceTagger:
        return SequenceTagger(
            len(self.words),
            len(self.tags),
            recurrent_shape(config, bidirectional=config.bidirectional),
            output=config.output,
            num_chars=len(self.chars),
            char_features=config.char_features,
            char_embedding_dim=config.char_embedding_dim,
            char_hidden_size=config.char_hidden_size,
            char_kernel_size=config.char_kernel_size,
            case_alphabet=self.chars.itos if config.case_features else None,
            case_embedding_dim=config.case_embedding_dim,
            embedding=embedding_choice(config.embedding, self.words.itos if fresh else None),
        )

    # -- batches -------------------------------------------------------------------------------
    @staticmethod
    def collate(rows: list[tuple]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """-> word ids (B, T), lengths (B,), char ids (B, T, C), tag ids (B, T); pads are 0."""
        ids, lengths = pad_ids([r[0] for r in rows])
        width = max(len(c) for r in rows for c in r[1])
        chars = torch.zeros(len(rows), ids.shape[1], max(1, width), dtype=torch.long)
        for i, r in enumerate(rows):
            for j, c in enumerate(r[1]):
                chars[i, j, : len(c)] = torch.tensor(c, dtype=torch.long)
        tags, _ = pad_ids([r[2] for r in rows])
        return ids, lengths, chars, tags

    def train_batch(self, epoch: int, index: int):
        return self.collate([self.train_data[i] for i in self.batches.rows(epoch, index)])

    def batch_tokens(self, batch) -> int:
        return int(batch[1].sum())

    def batch_positions(self, batch) -> tuple[int, int]:
        """Word positions (the word and tag tensors); padding inside words is not counted."""
        return int(batch[1].sum()), batch[0].numel()

    def loss_and_emissions(self, model: nn.Module, batch) -> tuple[Tensor, int, Tensor]:
        """(mean loss per token, tokens, emissions (B, T, K)) of a collated batch."""
        device = next(model.parameters()).device
        ids, lengths, chars, tags = (t.to(device) for t in batch)
        core = getattr(model, "module", model)  # DDP wraps the tagger
        emissions = model(ids, lengths.cpu(), chars if core.chars is not None else None)
        mask = lengths_mask(lengths, ids.shape[1])  # (B, T)
        ntokens = int(lengths.sum())
        if core.crf is not None:
            loss = -core.crf(emissions.float(), tags, mask=mask, reduction="sum") / ntokens
        else:
            loss = F.cross_entropy(emissions.float()[mask], tags[mask])
        return loss, ntokens, emissions

    def batch_loss(self, model: nn.Module, batch, carry) -> tuple[Tensor, int, Any]:
        loss, ntokens, _ = self.loss_and_emissions(model, batch)
        return loss, ntokens, None

    # -- evaluation ----------------------------------------------------------------------------
    @torch.no_grad()
    def tag_rows(
        self, model: nn.Module, rows: list[tuple], batch_size: int = 0
    ) -> tuple[list[list[str]], float]:
        """Predicted BIO tags for encoded rows, and the mean loss per token."""
        model.eval()
        size = batch_size or self.config.train.eval_batch_size or 64
        predicted, total, count = [], 0.0, 0
        for start in range(0, len(rows), size):
            batch = self.collate(rows[start : start + size])
            loss, ntokens, emissions = self.loss_and_emissions(model, batch)
            total, count = total + loss.item() * ntokens, count + ntokens
            for best in model.decode(emissions, batch[1]):
                predicted.append(iobes_to_bio([self.tags[i] for i in best]))
        return predicted, total / max(1, count)

    def check_types(self, sentences: list[TaggedSentence], path: str) -> None:
        """Refuse entity types the model never saw in training, naming the file and line
        (scoring them would count every such entity as missed, silently)."""
        known = {t[2:] for t in self.tags if t != "O"}
        for s in sentences:
            for k, tag in enumerate(s.tags):
                if tag != "O" and tag[2:] not in known:
                    raise SeqlabError(
                        f"{path}:{s.line + k}: entity type {tag[2:]!r} was not seen in training "
                        f"(known: {', '.join(sorted(known)) or 'none'})"
                    )

    def score(self, model: nn.Module, sentences: list[TaggedSentence]) -> dict[str, Any]:
        # seqeval pulls in scikit-learn and SciPy (0.6-1.5 s): imported here, not at start-up,
        # so every other command starts without them.
        from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

        predicted, loss = self.tag_rows(model, self.encode(sentences))
        gold = [s.tags for s in sentences]
        pairs = [
            (g, p)
            for gs, ps in zip(gold, predicted, strict=True)
            for g, p in zip(gs, ps, strict=True)
        ]
        metrics = {
            "loss": loss,
            "precision": precision_score(gold, predicted, zero_division=0),
            "recall": recall_score(gold, predicted, zero_division=0),
            "f1": f1_score(gold, predicted, zero_division=0),
            "accuracy": sum(g == p for g, p in pairs) / max(1, len(pairs)),
        }
        per_type = classification_report(gold, predicted, output_dict=True, zero_division=0)
        for kind, row in per_type.items():
            if not kind.endswith(" avg"):
                metrics[f"f1_{kind}"] = row["f1-score"]
        report = classification_report(gold, predicted, digits=4, zero_division=0)
        return {"metrics": metrics, "report": report}

    def validate(self, model: nn.Module) -> dict[str, float]:
        sentences = self.valid_sentences or self.read(self.config.data.train)[:1000]
        return self.score(model, sentences)["metrics"]

    def validation_samples(self, model: nn.Module) -> Samples:
        """The entities found in the first validation sentences, beside the gold ones."""
        sentences = self.valid_sentences[:SAMPLE_COUNT]
        predicted, _ = self.tag_rows(model, self.encode(sentences))
        rows = [
            (" ".join(s.tokens), _entities(s.tokens, tags), _entities(s.tokens, s.tags))
            for s, tags in zip(sentences, predicted, strict=True)
        ]
        return Samples(("sentence", "predicted", "gold"), rows)

    # -- use after training --------------------------------------------------------------------
    def evaluate(self, model: nn.Module, options: EvaluateOptions) -> Evaluation:
        """Entity precision, recall and F1 (seqeval) and token accuracy on a CoNLL file."""
        path = options.data
        if not path:
            raise SeqlabError("evaluate: a tagger needs --data FILE (CoNLL, same columns as train)")
        sentences = self.read(path)
        self.check_types(sentences, path)
        result = self.score(model, sentences)
        m = result["metrics"]
        summary = (
            f"sentences {len(sentences)}  precision {m['precision']:.4f}  "
            f"recall {m['recall']:.4f}  f1 {m['f1']:.4f}  accuracy {m['accuracy']:.4f}"
        )
        metrics = {"sentences": len(sentences), **m}
        return Evaluation(metrics, summary + "\n\n" + result["report"])

    def predict(
        self, model: nn.Module, lines: list[str], options: PredictOptions
    ) -> list[TagPrediction]:
        """Tag whitespace-tokenized sentences; blank lines give empty results."""
        return self.predict_tokens(model, [line.split() for line in lines], options)

    def predict_tokens(
        self, model: nn.Module, tokens: list[list[str]], options: PredictOptions
    ) -> list[TagPrediction]:
        """Tag sentences given as token lists; an empty list gives an empty result."""
        rows = [(*self.encode_tokens(t), [0] * len(t)) for t in tokens if t]
        predicted = iter(self.tag_rows(model, rows, options.batch_size)[0] if rows else [])
        out = []
        for toks in tokens:
            tags = next(predicted) if toks else []
            spans = [
                {"type": k, "start": s, "end": e, "text": " ".join(toks[s:e])}
                for k, s, e in entity_spans(tags)
            ]
            out.append(TagPrediction(toks, tags, spans))
        return out


def _entities(tokens: list[str], tags: list[str]) -> str:
    """``PER: John Smith; LOC: Paris``: the entities of BIO ``tags`` over ``tokens``."""
    return "; ".join(f"{k}: {' '.join(tokens[s:e])}" for k, s, e in entity_spans(tags))
