"""``seqlab.train``: train a model from a config (a YAML file or a dict) into a run directory.

The same training as ``seqlab train``: every key checked, the run directory written atomically,
progress drawn by ``tqdm.auto`` (a widget in Jupyter, text in a terminal). Nothing here reads
``sys.argv``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from seqlab.api.display import image, table
from seqlab.api.model import Model, load
from seqlab.errors import ConfigError
from seqlab.tasks.run import train as run_training

ConfigSource = str | Path | dict[str, Any]
"""A config: the path of a YAML file, or the same mapping as a dict."""


@dataclass(frozen=True)
class Run:
    """A finished training: its directory, why it stopped (``reason``: max_steps, epochs,
    patience, time_limit, interrupted...), its last ``step``, the last validation ``metrics``
    and the padded fraction of its batches (``padding``, None for a language model)."""

    run_dir: Path
    reason: str
    step: int
    metrics: dict[str, float] = field(default_factory=dict)
    padding: float | None = None

    def load(self, which: str = "best", backend: str = "torch") -> Model:
        """The trained model (see :func:`seqlab.load`)."""
        return load(self.run_dir, backend, which=which)

    def history(self) -> list[dict[str, Any]]:
        """Every row of ``metrics.jsonl``: train rows (loss, lr, tokens/s) and validation rows."""
        path = self.run_dir / "metrics.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

    def __str__(self) -> str:
        metrics = " ".join(f"{k}={v:.4g}" for k, v in self.metrics.items())
        return f"done ({self.reason}) at step {self.step}: {metrics}"

    def __repr__(self) -> str:
        return f"Run({str(self.run_dir)!r}, {self})"

    def _repr_html_(self) -> str:
        rows = [(k, f"{v:.4g}") for k, v in self.metrics.items()]
        out = table(["metric", "value"], rows, caption=f"{self.run_dir}: {self}")
        curve = self.run_dir / "loss.png"
        return out + (image(curve.read_bytes()) if curve.exists() else "")


def train(
    config: ConfigSource | None,
    overrides: dict[str, Any] | None = None,
    out_dir: str | Path | None = None,
    *,
    resume: str | Path | None = None,
    force: bool = False,
) -> Run:
    """Train from ``config`` (a YAML path or a dict) with ``overrides`` merged in (a nested dict,
    ``{"train": {"lr": 0.003}}``) into ``out_dir`` (default: the config's ``out_dir``). With
    ``resume`` (a run directory) it continues that run instead and ``config`` is None;
    ``force`` trains into a non-empty directory that is not a seqlab run.

    >>> import seqlab
    >>> run = seqlab.train("configs/chatbot.yaml", {"train": {"max_steps": 20}},
    ...                    out_dir="runs/api_chatbot")  # doctest: +SKIP
    >>> run.load().chat("hello")  # doctest: +SKIP
    """
    overrides = dict(overrides or {})
    if out_dir is not None:
        overrides["out_dir"] = str(out_dir)
    if isinstance(config, dict):
        with tempfile.TemporaryDirectory(prefix="seqlab-config-") as tmp:
            path = Path(tmp) / "config.yaml"
            path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
            try:
                summary = run_training(path, overrides, resume, force=force)
            except ConfigError as e:  # name the dict, not the file it passed through
                raise ConfigError(str(e).replace(str(path), "config")) from None
    else:
        summary = run_training(config, overrides, resume, force=force)
    return Run(
        run_dir=Path(summary["run_dir"]),
        reason=summary["reason"],
        step=summary["step"],
        metrics=dict(summary["metrics"]),
        padding=summary.get("padding"),
    )
