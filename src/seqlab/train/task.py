"""What a task gives the trainer: the training side of the task interface.

A task owns its data (reading, tokenizing, batching), its loss and its metrics; the model only
scores. The trainer drives any task through this small interface, so each topology (language
model, seq2seq, classifier, tagger, conditional generator) is one new file.

Batches are addressed by ``(epoch, index)`` and must be a pure function of them (and the seed),
so a resumed run sees exactly the batches it would have seen, and each DDP rank can take its own
share of the global batch. Tasks of independent examples hand their examples' sizes to
:meth:`TrainingTask.plan_batches`, which picks the batch plan of ``train.batch_type`` once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from seqlab.config import RunConfig, from_dict, to_dict
from seqlab.data.batching import BatchPlan, ShuffledBatches
from seqlab.data.token_batches import TokenBatches
from seqlab.errors import ConfigError, SeqlabError
from seqlab.train.checkpoint import model_section
from seqlab.train.samples import Samples


@dataclass(frozen=True)
class DataNote:
    """A fact about a run's data that the task reports once, when a fresh run starts: ``line``
    on stderr, and ``{"split": split, "step": 0, "epoch": 0, **fields}`` in ``metrics.jsonl``
    (see :mod:`seqlab.train.run_start`)."""

    split: str
    line: str
    fields: dict[str, Any] = field(default_factory=dict)


class TrainingTask:
    """Base class of every task's training side; :class:`seqlab.tasks.base.Task` adds the verbs
    of a trained model (evaluate, generate, predict, translate). It lives here, below the tasks,
    so the trainer drives any task without importing one."""

    name = "base"
    DataConfig: type = object
    ModelConfig: type = object
    #: "min" or "max" for each metric evaluate() can return
    metric_modes: dict[str, str] = {"loss": "min"}
    #: the ``train.batch_type`` values the task can batch by
    batch_types: tuple[str, ...] = ("sentences",)
    #: how the training examples are batched (set by :meth:`plan_batches`)
    batches: BatchPlan

    def __init__(self, config: RunConfig, rank: int = 0, world_size: int = 1):
        self.config = config
        self.rank = rank
        self.world_size = world_size
        kind = config.train.batch_type
        if kind not in self.batch_types:
            raise ConfigError(
                f"train.batch_type: {kind!r} does not apply to a {self.name} run; "
                f"expected {' or '.join(self.batch_types)}"
            )

    # -- data and artifacts --------------------------------------------------------------------
    def prepare(self, artifacts: Path | None = None) -> None:
        """Read the data. Build tokenizers/vocabularies, or load them from ``artifacts`` (a run
        directory) so that a resumed or reloaded run uses exactly the same ids."""
        raise NotImplementedError

    def save_artifacts(self, run_dir: Path) -> None:
        """Write tokenizers and vocabularies next to the checkpoints."""
        raise NotImplementedError

    def load_artifacts(self, run_dir: Path) -> None:
        """Rebuild tokenizers/vocabularies from a run directory alone (no data needed)."""
        raise NotImplementedError

    # -- model ---------------------------------------------------------------------------------
    def model_sizes(self) -> dict[str, int]:
        """The sizes the model takes from the data (``vocab_size``, ``num_classes``...)."""
        raise NotImplementedError

    def make_model(self, config: Any, fresh: bool) -> nn.Module:
        """The model that model section ``config`` describes, sized by :meth:`model_sizes`;
        ``fresh``: made for training (a ``pretrained`` embedding reads its vectors), else
        rebuilt to receive saved weights (see :mod:`seqlab.models.build`)."""
        raise NotImplementedError

    def model_args(self) -> dict[str, Any]:
        """What every checkpoint stores to rebuild its model: the sizes, and the model section
        as it is written in the config (nested, nothing renamed)."""
        return {"sizes": self.model_sizes(), "model": to_dict(self.config.model)}

    def build_model(self, args: dict[str, Any] | None = None) -> nn.Module:
        """A fresh model for training (``args`` None), or one to receive a checkpoint's weights
        (``args``: its ``model_args``, of this format or the flat one of earlier runs)."""
        if args is None:
            return self.make_model(self.config.model, fresh=True)
        sizes, section = model_section(args)
        if sizes != self.model_sizes():
            raise SeqlabError(
                f"checkpoint: its model sizes {sizes} differ from the run's vocabularies "
                f"{self.model_sizes()}; the run directory is damaged"
            )
        try:
            config = from_dict(self.ModelConfig, section, "model.")
        except ConfigError as e:
            raise SeqlabError(f"checkpoint: {e}") from None
        return self.make_model(config, fresh=False)

    # -- training ------------------------------------------------------------------------------
    def num_batches(self, epoch: int) -> int:
        """Global batches in ``epoch``."""
        return self.batches.count(epoch)

    def train_batch(self, epoch: int, index: int) -> Any:
        """This rank's share of global batch ``index`` of ``epoch``."""
        raise NotImplementedError

    # -- helpers for tasks whose examples are independent (shuffled each epoch, seeded) --------
    def plan_batches(self, sizes: Sequence[int], hint: str = "") -> None:
        """Batch the training examples, whose padded sizes (tokens) are ``sizes``, as
        ``train.batch_type`` says; ``hint`` ends the error of a token budget too small."""
        t = self.config.train
        where = {"seed": t.seed, "rank": self.rank, "world": self.world_size}
        if t.batch_type == "tokens":
            self.batches = TokenBatches(sizes, t.batch_tokens, hint=hint, **where)
        else:
            self.batches = ShuffledBatches(len(sizes), t.batch_size, **where)

    def batch_positions(self, batch: Any) -> tuple[int, int]:
        """(real, all) positions of a batch's padded token tensors, for the padding fraction
        ``1 - real / all``; (0, 0) for a task that pads nothing."""
        return 0, 0

    def initial_carry(self, batch_size: int) -> Any:
        """State carried from batch to batch within an epoch (LM hidden state); None if none."""
        return None

    def batch_loss(self, model: nn.Module, batch: Any, carry: Any) -> tuple[Tensor, int, Any]:
        """(mean loss over predicted tokens, number of tokens, new carry)."""
        raise NotImplementedError

    @torch.no_grad()
    def validate(self, model: nn.Module) -> dict[str, float]:
        """Validation metrics; must include ``loss``."""
        raise NotImplementedError

    def coverage_texts(self) -> dict[str, Iterable[list[str]]]:
        """The words of each split (``train``, ``valid``) as the word vocabulary sees them, for
        the coverage of pretrained vectors (:mod:`seqlab.train.vector_coverage`); none here."""
        return {}

    def data_notes(self) -> list[DataNote]:
        """What the task has to report about its data once :meth:`prepare` has read it (the
        classifier's validation examples dropped for overlap); none here."""
        return []

    def batch_tokens(self, batch: Any) -> int:
        """Input tokens in a batch, for the tokens/s display."""
        return 0

    def validation_samples(self, model: nn.Module) -> Samples:
        """What the model makes of a few fixed validation examples (``SAMPLE_COUNT``), to show at
        each validation (see :mod:`seqlab.train.samples`); nothing by default. It must not draw
        from the global random streams: a run logs the same whether or not samples are shown."""
        return Samples()
