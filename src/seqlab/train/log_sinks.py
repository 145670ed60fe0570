"""Where a run's metrics go besides ``metrics.jsonl``: the sinks ``train.log_to`` names.

    Trainer ── log.write(record) ─────────> metrics.jsonl          the record of the run
                                  └───────> sink.write(record)     scalars
            ── log.write_samples(samples) ─> sink.write_samples    sample outputs, attention

``metrics.jsonl`` stays the source of truth (a resume truncates it, the loss curve is drawn from
it, ``seqlab tensorboard`` shows a run without event files from it); a sink only shows what
:class:`seqlab.train.metrics_log.MetricsLog` hands it. Only rank 0 has sinks, so a DDP run writes
one set of files.

TensorBoard (``log_to: [jsonl, tensorboard]``) writes event files to ``RUN/tensorboard``::

    train/loss  train/lr  train/tokens_per_s  train/padding  train/grad_norm    each log line
    valid/<metric>   every metric the task's validation reports (loss, ppl, bleu, f1, ...)
    valid/samples    text: a Markdown table of sample outputs            each validation
    valid/attention  image: the attention of one fixed validation sentence
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from seqlab.analysis.attention_figure import attention_heatmap
from seqlab.errors import ConfigError
from seqlab.extras import EXTRAS
from seqlab.train.samples import Samples

TENSORBOARD_DIR = "tensorboard"  # inside the run directory
INSTALL_TENSORBOARD = "pip install 'seqlab[tensorboard]'"  # the extra of seqlab.extras
FLUSH_SECONDS = 10  # how stale a live TensorBoard view of the train scalars may get


class LogSink(Protocol):
    """What the metrics log hands its sinks."""

    def write(self, record: dict[str, Any]) -> None:
        """One line of ``metrics.jsonl``: ``split``, ``step``, ``epoch`` and numbers (None for a
        value that was not finite)."""

    def write_samples(self, step: int, samples: Samples) -> None:
        """What the model made of a few validation examples at ``step``."""

    def drop_after(self, step: int) -> None:
        """A resumed run goes on from ``step``: hide what was written for later steps."""

    def close(self) -> None:
        """Write out everything held and release the files (the sink may be written again)."""


def tensorboard_installed() -> bool:
    """Whether the tensorboard package is there (located, not imported: that takes seconds)."""
    return all(importlib.util.find_spec(m) is not None for m in EXTRAS["tensorboard"])


def check_log_to(log_to: Sequence[str]) -> None:
    """Refuse, before any work, a sink whose package is missing."""
    if "tensorboard" in log_to and not tensorboard_installed():
        raise ConfigError(
            f"train.log_to: tensorboard needs the tensorboard package; {INSTALL_TENSORBOARD}"
        )


def open_sinks(log_to: Sequence[str], run_dir: Path) -> list[LogSink]:
    """The sinks ``log_to`` names for a run in ``run_dir`` (``jsonl`` is the log itself)."""
    check_log_to(log_to)
    return [SINKS[name](run_dir) for name in dict.fromkeys(log_to) if name in SINKS]


class TensorBoardSink:
    """TensorBoard event files in ``RUN/tensorboard``, written with torch's ``SummaryWriter``.

    The writer opens at the first write, so a run that fails before its first log line leaves
    no event file, and a resumed run's writer starts by purging the steps it will redo.
    """

    def __init__(self, run_dir: Path):
        self.log_dir = Path(run_dir) / TENSORBOARD_DIR
        self._writer = None
        self._purge_step: int | None = None

    def writer(self):
        """The open ``torch.utils.tensorboard.SummaryWriter``."""
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter  # optional: seqlab[tensorboard]

            self._writer = SummaryWriter(
                str(self.log_dir), purge_step=self._purge_step, flush_secs=FLUSH_SECONDS
            )
            self._purge_step = None
        return self._writer

    def write(self, record: dict[str, Any]) -> None:
        split, step = record.get("split", "train"), record["step"]
        for key, value in record.items():
            if key not in ("split", "step", "epoch") and _finite_number(value):
                self.writer().add_scalar(f"{split}/{key}", value, step)
        if split != "train":  # a validation: show it now, not at the next timed flush
            self.writer().flush()

    def write_samples(self, step: int, samples: Samples) -> None:
        if samples.rows:
            self.writer().add_text("valid/samples", samples.markdown(), step)
        if samples.attention is not None:
            a = samples.attention
            title = f"attention at step {step}"
            figure = attention_heatmap(a.weights, a.source, a.output, title=title)
            self.writer().add_figure("valid/attention", figure, step)  # drawn as a PNG
        self.writer().flush()

    def drop_after(self, step: int) -> None:
        self.close()
        self._purge_step = step + 1  # TensorBoard hides events at or after the purge step

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


#: the sinks ``train.log_to`` may name besides ``jsonl``, each built from the run directory
SINKS = {"tensorboard": TensorBoardSink}
