"""What each route asks of a run's task: a request becomes :class:`Work` (a batch key and its
rows), and the key's ``run`` decodes every row of a batch in one call.

A route checks, before any batching, what only its own request can get wrong (an input too
long, a prime outside the vocabulary). Requests share a batch only when their keys are equal,
so a key holds exactly the options that change the output:

    TranslateKey(strategy, max_length, attention)   rows: Source (text, ids, truncated)
    GenerateKey(strategy, max_tokens)               rows: GenerateOptions, one per sample
    ClassifyKey()                                   rows: texts
    TagKey()                                        rows: Sentence (text, tokens, offsets)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from seqlab.decode.search import Hypothesis
from seqlab.decode.strategy import Beam, Greedy, Strategy, beam_or_greedy, sampling
from seqlab.serve import schemas
from seqlab.serve.batcher import Job, StreamClosed
from seqlab.serve.errors import ClientError
from seqlab.serve.registry import ServedModel
from seqlab.tasks.options import GenerateOptions, PredictOptions


@dataclass(frozen=True)
class Work:
    """One request's batch key and rows."""

    key: Any
    rows: list


def _split(outputs: list, jobs: list[Job]) -> list[list]:
    """Row outputs back into one list per job."""
    out, at = [], 0
    for job in jobs:
        out.append(outputs[at : at + len(job.rows)])
        at += len(job.rows)
    return out


# ------------------------------------------------------------------ translate and chat


@dataclass(frozen=True)
class Source:
    """One input sentence: its text, its ids (cut to the model's limit) and whether it was cut."""

    text: str
    ids: list[int]
    truncated: bool


@dataclass(frozen=True)
class TranslateKey:
    strategy: Greedy | Beam
    max_length: int
    attention: bool

    def run(self, served: ServedModel, jobs: list[Job]) -> list[Any]:
        rows: list[Source] = [row for job in jobs for row in job.rows]
        hyps = served.task.decode(
            served.model,
            [row.ids for row in rows],
            self.strategy,
            attention=self.attention,
            batch_size=len(rows),
            max_length=self.max_length,
        )
        outputs = [self._translation(served.task, r, best) for r, best in zip(rows, hyps)]
        return _split(outputs, jobs)

    def _translation(self, task, row: Source, best: list[Hypothesis]) -> schemas.Translation:
        if not row.text.strip():  # an empty input gets an empty output, as on the command line
            empty = [schemas.Hypothesis(text="", score=0.0)]
            return schemas.Translation(
                text="", score=0.0, n_best=empty, src_tokens=[], tgt_tokens=[]
            )
        top = best[0]
        weights = None
        if self.attention and top.attention is not None:  # this row's source columns and <eos>
            weights = top.attention[:, : len(row.ids) + 1].float().tolist()
        return schemas.Translation(
            text=task.tgt_text(top.tokens),
            score=top.score,
            n_best=[schemas.Hypothesis(text=task.tgt_text(h.tokens), score=h.score) for h in best],
            src_tokens=task.src_tokens(row.ids) + ["<eos>"],
            tgt_tokens=task.tgt_tokens(top.tokens) + (["<eos>"] if top.finished else []),
            attention=weights,
            truncated=row.truncated,
        )


def translate_work(served: ServedModel, req: schemas.TranslateRequest) -> Work:
    """A translate or chat request; inputs over the length limit are refused (422 naming the
    input) unless the request asks for truncation. The strategy checks its own options."""
    strategy = beam_or_greedy(req.beam, req.n_best, req.length_penalty, req.alpha)
    limit = served.task.config.data.max_src_len
    rows = []
    for i, text in enumerate(req.inputs):
        ids = served.task.src_ids(text)
        cut = bool(limit) and len(ids) > limit
        if cut and not req.truncate:
            raise ClientError(
                422,
                f"inputs.{i}: {len(ids)} tokens, over the model's limit of {limit}; shorten it "
                "or send truncate: true",
            )
        rows.append(Source(text, ids[:limit] if cut else ids, cut))
    return Work(TranslateKey(strategy, req.max_length, req.return_attention), rows)


# ------------------------------------------------------------------ generate


@dataclass(frozen=True)
class GenerateKey:
    strategy: Strategy
    max_tokens: int

    def run(self, served: ServedModel, jobs: list[Job]) -> list[Any]:
        """Generate every job's samples; a stream whose client went stops getting pieces, and
        when every job of the batch has gone, generation stops (:class:`StreamClosed`)."""
        requests = [dataclasses.replace(job.rows[0], n=len(job.rows)) for job in jobs]
        owners = [(job, k) for job in jobs for k in range(len(job.rows))]  # row -> job, sample
        gone: set[int] = set()  # ids of the jobs whose client went

        def on_piece(row: int, text: str) -> None:
            job, sample = owners[row]
            if job.stream is None or id(job) in gone:
                return
            try:
                job.stream(sample, text)
            except StreamClosed:
                gone.add(id(job))
                if len(gone) == len(jobs):
                    raise

        outputs = served.task.generate_many(served.model, requests, on_piece)
        return [schemas.GenerateResponse(model=served.name, outputs=out) for out in outputs]


def generate_work(served: ServedModel, req: schemas.GenerateRequest) -> Work:
    """A generate request, one row per sample; 422 before any work (and before a stream
    starts) for what the model cannot take. A feature-conditioned model's conditions are
    files: a request may not name server files."""
    strategy = sampling(req.temperature, req.top_k, req.top_p, req.seed)
    options = GenerateOptions(
        prime=req.prime, max_tokens=req.max_tokens, strategy=strategy, condition=req.condition
    )
    task = served.task
    if task.name == "condgen" and not task.labels:
        raise ClientError(
            422,
            "condition: this model is conditioned on feature files, which a request cannot "
            "name; use seqlab generate --condition FILE.npy",
        )
    task.check_generate(GenerateOptions(prime=req.prime, condition=req.condition))
    return Work(GenerateKey(strategy, req.max_tokens), [options] * req.n)


# ------------------------------------------------------------------ classify and tag


@dataclass(frozen=True)
class ClassifyKey:
    def run(self, served: ServedModel, jobs: list[Job]) -> list[Any]:
        texts = [text for job in jobs for text in job.rows]
        predictions = served.task.predict(served.model, texts, PredictOptions(len(texts)))
        outputs = [
            schemas.ClassPrediction(
                label=p.label, probability=p.probability, probabilities=p.probabilities
            )
            for p in predictions
        ]
        return _split(outputs, jobs)


@dataclass(frozen=True)
class Sentence:
    """A sentence to tag: its text, its tokens and each token's character offsets."""

    text: str
    tokens: list[str]
    offsets: list[tuple[int, int]]

    @classmethod
    def of(cls, item: str | list[str]) -> Sentence:
        """A text split on whitespace, or a token list laid out joined by single spaces."""
        if isinstance(item, list):
            tokens, text = list(item), " ".join(item)
        else:
            tokens, text = item.split(), item
        offsets, at = [], 0
        for token in tokens:
            start = text.index(token, at)
            offsets.append((start, start + len(token)))
            at = start + len(token)
        return cls(text, tokens, offsets)

    def tagging(self, prediction) -> schemas.Tagging:
        spans = []
        for s in prediction.spans:
            start, end = self.offsets[s["start"]][0], self.offsets[s["end"] - 1][1]
            spans.append(
                schemas.Span(
                    type=s["type"],
                    start=start,
                    end=end,
                    text=self.text[start:end],
                    tokens=[s["start"], s["end"]],
                )
            )
        return schemas.Tagging(tokens=self.tokens, tags=prediction.tags, spans=spans)


@dataclass(frozen=True)
class TagKey:
    def run(self, served: ServedModel, jobs: list[Job]) -> list[Any]:
        rows: list[Sentence] = [row for job in jobs for row in job.rows]
        predictions = served.task.predict_tokens(
            served.model, [row.tokens for row in rows], PredictOptions(len(rows))
        )
        return _split([row.tagging(p) for row, p in zip(rows, predictions)], jobs)


def tag_work(req: schemas.TagRequest) -> Work:
    return Work(TagKey(), [Sentence.of(item) for item in req.inputs])


def classify_work(req: schemas.ClassifyRequest) -> Work:
    return Work(ClassifyKey(), list(req.inputs))
