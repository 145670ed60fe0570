"""Typed, frozen config sections: pydantic models whose fields carry their defaults and whose
docstrings explain them. Checking is strict, and any problem is one ConfigError line naming the
key (``config.yaml: model.hiden_size: unknown key; expected one of cell, embedding_dim, ...``),
worded by :mod:`seqlab.data.config_text`, which also reads the YAML (importable from here too).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from seqlab.data.config_text import TupleOf as TupleOf
from seqlab.data.config_text import describe
from seqlab.data.config_text import load_yaml as load_yaml
from seqlab.data.config_text import merge as merge
from seqlab.data.config_text import parse_overrides as parse_overrides
from seqlab.data.config_text import parse_yaml as parse_yaml
from seqlab.errors import ConfigError

Positive = Annotated[int, Field(gt=0)]
NonNegative = Annotated[int, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, lt=1)]  # [0, 1)
Probability = Annotated[float, Field(ge=0, le=1)]


class _Checked(type(BaseModel)):
    """Building a section by calling its class raises a one-line ConfigError, not pydantic's
    report (a section read from a dict goes through :func:`from_dict`)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as e:
            raise ConfigError(describe(e, cls)) from None


class Section(BaseModel, metaclass=_Checked):
    """Base of every config section: strict types (an int is still taken for a float), frozen,
    no unknown keys, no NaN or infinity (``.nan`` would pass ``lr > 0`` checks as "off")."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)


def from_dict(cls: type[Section], data: Any, prefix: str = "") -> Any:
    """Section ``cls`` from ``data`` (None: empty), strictly; errors name keys after ``prefix``."""
    try:
        return cls.model_validate({} if data is None else data)
    except ValidationError as e:
        raise ConfigError(describe(e, cls, prefix.rstrip("."))) from None


def to_dict(section: BaseModel) -> dict[str, Any]:
    """Plain nested dict (for YAML/JSON) of a section."""
    return section.model_dump(mode="json")


# ----------------------------------------------------------------------------- shared sections


class EmbeddingConfig(Section):
    """How token ids become vectors.

    kind: ``learned`` (trained from scratch), ``one_hot`` (fixed identity vectors, size = vocab)
        or ``pretrained`` (seqlab .safetensors, word2vec or GloVe vectors from ``path``).
    path: vectors file for ``pretrained``, or ``glove-6b-50d`` (``seqlab[glove]``). A word
        takes the vector of its first form found: as is, lowercased, digits as 0; one without
        starts as an N(0, s) row (s: the vectors' std), seeded by ``train.seed``.
    freeze: keep pretrained vectors fixed during training; false (the default) fine-tunes them.
    trust_pickle: also read a gensim ``.kv`` file, a Python pickle that can run any code it
        holds; better, convert it once: ``seqlab embed convert IN --out F.safetensors
        --trust-pickle``.
    """

    kind: Literal["learned", "one_hot", "pretrained"] = "learned"
    path: str | None = None
    freeze: bool = False
    trust_pickle: bool = False

    @model_validator(mode="after")
    def _needs_path(self) -> EmbeddingConfig:
        if self.kind == "pretrained" and not self.path:
            raise ValueError("path: required when embedding.kind is 'pretrained'")
        return self


class RecurrentModelConfig(Section):
    """The recurrent core every model config shares (a task's config adds fields, defaults).

    cell: rnn | lstm | gru. embedding_dim: E, the token vector size. hidden_size: H, the size of
    h_t (per direction). num_layers: stacked recurrent layers. dropout: on embeddings and
    outputs, and between stacked layers. impl: fused (torch's kernels) | explicit (the equations
    of seqlab.nn.cells, slow and readable).
    """

    cell: Literal["rnn", "lstm", "gru"] = "lstm"
    embedding_dim: Positive = 128
    hidden_size: Positive = 256
    num_layers: Positive = 1
    dropout: Fraction = 0.2
    impl: Literal["fused", "explicit"] = "fused"


class TransformerFields(Section):
    """The model's family, and the Transformer's own sizes (a task's model section adds these).

    arch: recurrent (the default: embedding -> cell x num_layers) | transformer (attention
        without recurrence: pre-LN blocks of self-attention and a feed-forward layer, as
        :mod:`seqlab.nn.transformer_block`). With transformer, embedding_dim is the model width
        D, num_layers the number of blocks, dropout acts on the embeddings and after each
        attention and feed-forward layer, impl picks the attention kernel (fused: torch's
        scaled_dot_product_attention; explicit: the equation), and the recurrent fields (cell,
        hidden_size, ...) do not apply: setting one is an error.
    num_heads: h, attention heads per layer (embedding_dim must divide by h).
    dim_feedforward: F, the feed-forward layer's inner width (0 = 4 x embedding_dim).
    positions: learned (a trained vector per position, GPT) | sinusoidal (fixed clocks,
        Vaswani et al. 2017).
    activation: relu | gelu, in the feed-forward layer.
    """

    RECURRENT_ONLY: ClassVar[tuple[str, ...]] = ("cell", "hidden_size")

    arch: Literal["recurrent", "transformer"] = "recurrent"
    num_heads: Positive = 4
    dim_feedforward: NonNegative = 0
    positions: Literal["learned", "sinusoidal"] = "learned"
    activation: Literal["relu", "gelu"] = "gelu"

    @model_validator(mode="after")
    def _arch_fits(self) -> TransformerFields:
        if self.arch != "transformer":
            return self
        fields = type(self).model_fields
        for name in self.RECURRENT_ONLY:  # not at its default (a saved config lists them all)
            if getattr(self, name) != fields[name].get_default(call_default_factory=True):
                raise ValueError(
                    f"{name}: applies only to arch 'recurrent'; remove it for arch 'transformer'"
                )
        width = getattr(self, "embedding_dim", 0)
        if width % self.num_heads:
            raise ValueError(
                f"num_heads: embedding_dim {width} is not divisible by num_heads {self.num_heads}"
            )
        return self

    @property
    def feedforward_size(self) -> int:
        """F: ``dim_feedforward``, or 4 x embedding_dim when 0."""
        return self.dim_feedforward or 4 * getattr(self, "embedding_dim", 0)


class TrainConfig(Section):
    """Optimisation, schedule, evaluation and checkpointing; shared by every task.

    seed: seeds python, numpy and torch; the run is reproducible on CPU.
    batch_type: sentences (``batch_size`` examples per step) | tokens (as many examples as fit
        ``batch_tokens``, cut from length-sorted pools; seq2seq, classify, tag, condgen).
    batch_size: sequences per optimizer step (the *global* batch under DDP).
    batch_tokens: with ``batch_type: tokens``, the padded tokens of one step's batch (global
        under DDP): its examples times its longest example (seq2seq: the longer side).
    epochs / max_steps: stop after this many epochs, or steps if ``max_steps`` > 0.
    time_limit_minutes: also stop (with a final validation) after this wall-clock time, if > 0.
    lr, optimizer (adam | adamw | sgd), weight_decay, momentum (sgd only).
    clip_grad_norm: clip the global gradient norm to this value; 0 disables.
    schedule: constant | cosine | linear (decay to ``min_lr_ratio``·lr over the run) | plateau
        (multiply lr by ``lr_decay`` when validation stops improving); ``warmup_steps`` first.
    eval_every: validate every N steps (0 = at each epoch's end only).
    patience: stop after this many validations without improvement (0 = never).
    keep_checkpoints: also keep the checkpoints of the last N validations, as
        ``checkpoints/step-NNNNNNNN`` (for ``seqlab average``); 0 keeps only ``best`` and ``last``.
    metric: the validation metric that picks ``best`` and drives patience and plateau.
    device: auto (CUDA when present) | cpu | cuda | cuda:N.
    precision: fp32 | bf16 (autocast).
    threads: torch.set_num_threads (0 = torch's default).
    log_to: where metrics go: jsonl (``metrics.jsonl``, always written) and, on request,
        tensorboard (event files in ``RUN/tensorboard``; ``pip install 'seqlab[tensorboard]'``).
    """

    seed: int = 1
    batch_type: Literal["sentences", "tokens"] = "sentences"
    batch_size: Positive = 32
    batch_tokens: NonNegative = 0
    eval_batch_size: NonNegative = 0
    epochs: Positive = 1
    max_steps: NonNegative = 0
    time_limit_minutes: Annotated[float, Field(ge=0)] = 0.0
    lr: Annotated[float, Field(gt=0)] = 2e-3
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    weight_decay: float = 0.0
    momentum: float = 0.0
    clip_grad_norm: Annotated[float, Field(ge=0)] = 5.0
    schedule: Literal["constant", "cosine", "linear", "plateau"] = "constant"
    warmup_steps: NonNegative = 0
    min_lr_ratio: float = 0.0
    lr_decay: Annotated[float, Field(gt=0, le=1)] = 0.5
    eval_every: NonNegative = 0
    patience: NonNegative = 0
    keep_checkpoints: NonNegative = 0
    metric: str = "loss"
    log_every: int = 50
    device: str = "auto"
    precision: Literal["fp32", "bf16"] = "fp32"
    threads: NonNegative = 0
    progress: bool = True
    log_to: TupleOf[Literal["jsonl", "tensorboard"]] = ("jsonl",)

    @model_validator(mode="after")
    def _budget_fits_batch_type(self) -> TrainConfig:
        if self.batch_type == "tokens" and not self.batch_tokens:
            raise ValueError(
                "batch_tokens: required with batch_type tokens (padded tokens per batch, e.g. 2000)"
            )
        if self.batch_type == "sentences" and self.batch_tokens:
            raise ValueError(
                "batch_tokens: applies only to batch_type tokens; set batch_type: tokens, "
                "or remove batch_tokens"
            )
        return self


class RunConfig(Section):
    """A whole run: which task, its data and model sections, training, and where to write.
    Each task declares its own (:func:`seqlab.tasks.run_config_class`), with typed sections."""

    task: str
    data: Section
    model: RecurrentModelConfig
    train: TrainConfig = Field(default_factory=TrainConfig)
    out_dir: str = "runs/run"
