"""``metrics.jsonl`` (one JSON object per line), the loss-curve PNG, and the sinks each record
is handed to as well (:mod:`seqlab.train.log_sinks`: TensorBoard)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from seqlab.analysis import plots
from seqlab.train.log_sinks import LogSink, open_sinks
from seqlab.train.samples import Samples

METRICS_FILE = "metrics.jsonl"


class MetricsLog:
    """Append-only JSONL log; on resume, lines past the checkpoint's step are dropped. Every
    record also goes to ``sinks``; a log that is not ``enabled`` (DDP ranks but 0) writes
    nothing anywhere."""

    def __init__(self, path: Path, enabled: bool = True, sinks: Sequence[LogSink] = ()):
        self.path = Path(path)
        self.enabled = enabled
        self.sinks = list(sinks) if enabled else []

    @classmethod
    def for_run(cls, run_dir: Path, log_to: Sequence[str], enabled: bool = True) -> MetricsLog:
        """The log of a run directory: its ``metrics.jsonl`` and the sinks ``log_to`` names
        (``train.log_to``; checked on every rank when the run starts, see
        :func:`seqlab.train.log_sinks.check_log_to`)."""
        sinks = open_sinks(log_to, Path(run_dir)) if enabled else []
        return cls(Path(run_dir) / METRICS_FILE, enabled, sinks)

    @property
    def wants_samples(self) -> bool:
        """Whether a sink shows sample outputs (worth the work of making them)."""
        return bool(self.sinks)

    def truncate_after(self, step: int) -> None:
        for sink in self.sinks:
            sink.drop_after(step)
        if not self.enabled or not self.path.exists():
            return
        kept = [
            line
            for line in self.path.read_text().splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= step
        ]
        self.path.write_text("".join(line + "\n" for line in kept))

    def write(self, record: dict) -> None:
        if not self.enabled:
            return
        clean = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in record.items()
        }
        with open(self.path, "a") as f:
            f.write(json.dumps(clean) + "\n")
        for sink in self.sinks:
            sink.write(clean)

    def write_samples(self, step: int, samples: Samples) -> None:
        """Sample outputs at validation ``step``, for the sinks that show them."""
        for sink in self.sinks:
            sink.write_samples(step, samples)

    def close(self) -> None:
        """Write out what the sinks hold; the log may be written again afterwards."""
        for sink in self.sinks:
            sink.close()

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]


def replay(path: Path, sink: LogSink) -> int:
    """Hand every record of the ``metrics.jsonl`` at ``path`` to ``sink`` and close it (the
    TensorBoard scalars of a run trained without them); returns the number of records."""
    records = MetricsLog(path).read()
    for record in records:
        sink.write(record)
    sink.close()
    return len(records)


def _points(records: list[dict], split: str) -> list[tuple[int, float]]:
    """(step, loss) of the records of one split that have a loss."""
    return [
        (r["step"], r["loss"])
        for r in records
        if r.get("split") == split and r.get("loss") is not None
    ]


def draw_loss(records: list[dict], title: str = "") -> plots.Figure | None:
    """Train and validation loss against step; None when no record has a loss."""
    train, valid = _points(records, "train"), _points(records, "valid")
    if not train and not valid:
        return None
    fig, (ax,) = plots.figure(6, 3.6)
    if train:
        ax.plot(*zip(*train), label="train", lw=1)
    if valid:
        ax.plot(*zip(*valid), "o-", label="valid", ms=3)
    plots.integer_ticks(ax.xaxis)
    ax.set_xlabel("training step")
    ax.set_ylabel("loss (nats)")
    ax.set_title(
        f"{title}: training and validation loss" if title else "training and validation loss"
    )
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_loss(records: list[dict], out: Path, title: str = "") -> Path | None:
    """Train and validation loss against step, written to ``out`` (PNG); None if nothing to
    draw."""
    fig = draw_loss(records, title)
    return None if fig is None else plots.save(fig, out)
