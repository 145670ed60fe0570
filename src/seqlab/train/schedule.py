"""Optimizers and learning-rate schedules, built from :class:`~seqlab.config.TrainConfig`.

Step-based schedules are a multiplier on the base learning rate, a function of the optimizer
step only, so a resumed run recomputes exactly the same rate::

    warmup (linear 0 -> 1 over warmup_steps), then
    constant: 1
    linear:   1 -> min_lr_ratio over the remaining steps
    cosine:   1 -> min_lr_ratio along half a cosine

``plateau`` instead multiplies the rate by ``lr_decay`` each time validation fails to improve.
"""

from __future__ import annotations

import math

import torch

from seqlab.config import TrainConfig


def build_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def lr_factor(step: int, total_steps: int, cfg: TrainConfig) -> float:
    """Multiplier on ``cfg.lr`` for optimizer step ``step`` (0-based) of ``total_steps``."""
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    if cfg.schedule in ("constant", "plateau"):
        return 1.0
    span = max(1, total_steps - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span)
    floor = cfg.min_lr_ratio
    if cfg.schedule == "linear":
        return floor + (1 - floor) * (1 - progress)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


class Schedule:
    """Sets the optimizer's learning rate before each step; state is (plateau scale)."""

    def __init__(self, optimizer: torch.optim.Optimizer, cfg: TrainConfig, total_steps: int):
        self.optimizer = optimizer
        self.cfg = cfg
        self.total_steps = total_steps
        self.plateau_scale = 1.0

    def set_step(self, step: int) -> float:
        lr = self.cfg.lr * lr_factor(step, self.total_steps, self.cfg) * self.plateau_scale
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def on_validation(self, improved: bool) -> None:
        if self.cfg.schedule == "plateau" and not improved:
            self.plateau_scale *= self.cfg.lr_decay

    def state_dict(self) -> dict:
        return {"plateau_scale": self.plateau_scale}

    def load_state_dict(self, state: dict) -> None:
        self.plateau_scale = float(state.get("plateau_scale", 1.0))


class TeacherForcingSchedule:
    """The probability of feeding the reference token at global step ``step``.

    constant: ``start`` throughout. linear: from ``start`` down (or up) to ``final`` over
    ``steps`` steps, then ``final`` (scheduled sampling, Bengio et al. 2015).
    """

    def __init__(self, kind: str, start: float, final: float, steps: int):
        if kind not in ("constant", "linear"):
            raise ValueError(
                f"unknown teacher-forcing schedule {kind!r}; expected constant, linear"
            )
        self.kind, self.start, self.final, self.steps = kind, start, final, max(1, steps)

    def __call__(self, step: int) -> float:
        if self.kind == "constant":
            return self.start
        progress = min(1.0, step / self.steps)
        return self.start + (self.final - self.start) * progress
