"""Requests and responses of the JSON API (``/v1/...``): every field has a type, a range and a
default, so the OpenAPI schema at ``/docs`` says all a client needs to know.

Decoding options mirror the CLI's (``seqlab translate --beam``, ``seqlab generate --top-p``...);
their bounds are the library's (:mod:`seqlab.decode.limits`), and the server turns them into
the same strategy objects (:mod:`seqlab.decode.strategy`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from seqlab.decode.limits import LENGTH_PENALTIES, LIMITS

MAX_INPUTS = 256
MAX_TEXT = 100_000  # characters of one input; the request body limit bounds the total


class Strict(BaseModel):
    """Unknown fields are an error, as in a config file."""

    model_config = ConfigDict(extra="forbid")


class TranslateRequest(Strict):
    model: str = Field(description="Name of a loaded seq2seq run (GET /v1/models).")
    inputs: list[str] = Field(min_length=1, max_length=MAX_INPUTS, description="Sentences.")
    beam: int = Field(5, **LIMITS["beam"].fields(), description="Beam size; 1 is greedy decoding.")
    n_best: int = Field(
        1, **LIMITS["n_best"].fields(), description="Hypotheses per input (at most beam)."
    )
    length_penalty: Literal[LENGTH_PENALTIES] = Field("gnmt", description="Beam ranking.")
    alpha: float = Field(
        0.6, **LIMITS["alpha"].fields(), description="GNMT length-penalty exponent."
    )
    max_length: int = Field(
        0, ge=0, le=1000, description="Most output tokens; 0 = the model's own limit."
    )
    return_attention: bool = Field(False, description="Include target x source weights.")
    truncate: bool = Field(
        False, description="Cut inputs over the model's length limit instead of refusing them."
    )


class Hypothesis(BaseModel):
    text: str
    score: float = Field(description="Log-probability (length-normalised for beam search).")


class Translation(BaseModel):
    text: str
    score: float
    n_best: list[Hypothesis]
    src_tokens: list[str]
    tgt_tokens: list[str]
    attention: list[list[float]] | None = Field(
        None, description="Rows: target tokens (and <eos>); columns: source tokens and <eos>."
    )
    truncated: bool = False


class TranslateResponse(BaseModel):
    model: str
    outputs: list[Translation]


class GenerateRequest(Strict):
    model: str = Field(description="Name of a loaded language model or conditional generator.")
    prime: str = Field("", max_length=MAX_TEXT, description="Text to continue (lm).")
    condition: str | None = Field(None, description="A class name (condgen).")
    max_tokens: int = Field(200, ge=0, le=2000, description="Tokens to generate per sample.")
    temperature: float = Field(0.8, **LIMITS["temperature"].fields(), description="0 = greedy.")
    top_k: int = Field(0, **LIMITS["top_k"].fields(), description="Sample from the k most likely.")
    top_p: float = Field(1.0, **LIMITS["top_p"].fields(), description="Nucleus sampling mass.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Reproducible samples.")
    n: int = Field(1, ge=1, le=32, description="Samples.")
    stream: bool = Field(False, description="Server-sent events: tokens as they are made.")


class GenerateResponse(BaseModel):
    model: str
    outputs: list[str]


class ClassifyRequest(Strict):
    model: str
    inputs: list[str] = Field(min_length=1, max_length=MAX_INPUTS)


class ClassPrediction(BaseModel):
    label: str
    probability: float
    probabilities: dict[str, float]


class ClassifyResponse(BaseModel):
    model: str
    outputs: list[ClassPrediction]


class TagRequest(Strict):
    model: str
    inputs: list[str | list[str]] = Field(
        min_length=1,
        max_length=MAX_INPUTS,
        description="Sentences as text (split on whitespace) or as token lists.",
    )


class Span(BaseModel):
    type: str
    start: int = Field(description="Character offset of the first character.")
    end: int = Field(description="Character offset after the last character.")
    text: str
    tokens: list[int] = Field(description="[first token, last token + 1].")


class Tagging(BaseModel):
    tokens: list[str]
    tags: list[str]
    spans: list[Span]


class TagResponse(BaseModel):
    model: str
    outputs: list[Tagging]


MAX_ATTENTION_TOKENS = 128  # per side: the answer holds layers x heads x T x S weights


class AttentionRequest(Strict):
    model: str = Field(description="Name of a loaded Transformer run (its routes list it).")
    text: str = Field(
        max_length=MAX_TEXT,
        description="lm: the text to read (a prime and what followed it); seq2seq: the source.",
    )
    target: str | None = Field(
        None,
        max_length=MAX_TEXT,
        description="seq2seq: the output read against the source; omitted = greedy decoding.",
    )
    truncate: bool = Field(
        False, description="Read the first tokens of a side over the limit instead of refusing."
    )


class AttentionMap(BaseModel):
    kind: Literal["self", "source", "target", "cross"] = Field(
        description="self: a language model's causal self-attention; source: the encoder's; "
        "target: the decoder's causal self-attention; cross: target queries over the source."
    )
    queries: list[str] = Field(description="Row labels: the tokens whose positions attend.")
    keys: list[str] = Field(description="Column labels: the tokens attended to.")
    weights: list[list[list[list[float]]]] = Field(
        description="[layer][head][query][key]; every row sums to 1."
    )


class AttentionResponse(BaseModel):
    model: str
    maps: list[AttentionMap]
    truncated: bool = Field(False, description="A side was cut to the limit (truncate: true).")


class ExplainRequest(Strict):
    text: str = Field("hello", min_length=2, max_length=32, description="Text to learn.")
    cell: Literal["rnn", "lstm", "gru"] = "rnn"
    hidden_size: int = Field(4, ge=1, le=16)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    steps: int = Field(100, ge=0, le=500, description="Adam steps of training.")
    lr: float = Field(0.05, gt=0.0, le=1.0)


class ModelInfo(BaseModel):
    name: str
    task: str
    run: str
    routes: list[str]
    cell: str
    sizes: dict[str, int | bool | str]
    vocabularies: dict[str, int | list[str]]
    parameters: dict[str, int | None] = Field(description="Totals, Keras and PyTorch counting.")
    options: dict[str, dict] = Field(description="Per route: the decoding options it accepts.")


class ModelsResponse(BaseModel):
    models: list[ModelInfo]


class ModelMetrics(BaseModel):
    batches: int = Field(description="Batched calls run since the server started.")
    requests: int = Field(description="Requests answered by those calls.")
    rows: int = Field(description="Rows (sentences, samples...) in those calls.")
    compute_s: float = Field(
        description="Seconds the model spent in those calls, timed on its inference thread: "
        "the server's own compute, without queueing, HTTP or the clients."
    )
    pending: int = Field(description="Rows waiting or running now.")


class MetricsResponse(BaseModel):
    models: dict[str, ModelMetrics]


class ErrorResponse(BaseModel):
    error: str = Field(description="One line: what was wrong and what was expected.")
    request_id: str
