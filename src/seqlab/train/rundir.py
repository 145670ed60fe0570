"""Run directories: what makes a directory a seqlab run, and writing its config.

runs/NAME/
    config.yaml        the resolved config (every default written out)
    tokenizer.json     tokenizers and vocabularies, rebuilt from these files alone
    vocab.json
    metrics.jsonl      one line per log/validation
    loss.png           loss curve
    checkpoints/last/  and checkpoints/best/  (see seqlab.train.checkpoint)
"""

from __future__ import annotations

from pathlib import Path

import yaml

from seqlab.config import RunConfig, to_dict
from seqlab.errors import SeqlabError

CONFIG_FILE = "config.yaml"


def check_run_dir(run_dir: str | Path) -> Path:
    """``run_dir`` as a Path, or a one-line error if it is not a run directory."""
    p = Path(run_dir)
    if not p.is_dir():
        raise SeqlabError(f"{p}: no such run directory")
    if not (p / CONFIG_FILE).is_file():
        raise SeqlabError(f"{p}: not a run directory ({CONFIG_FILE} is missing)")
    return p


def config_text(config: RunConfig) -> str:
    """The YAML of a resolved config, as written to ``config.yaml``."""
    data = {
        "task": config.task,
        "data": to_dict(config.data),
        "model": to_dict(config.model),
        "train": to_dict(config.train),
        "out_dir": config.out_dir,
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def save_run_config(config: RunConfig, path: Path) -> None:
    """Write ``config`` to ``path`` atomically (a temporary file, then a rename)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(config_text(config))
    tmp.replace(path)
