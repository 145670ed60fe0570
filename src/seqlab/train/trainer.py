"""The training loop, for any task.

    for each step:  batch = task.train_batch(epoch, index)      (this rank's share)
                    loss  = task.batch_loss(model, batch, carry) (mean over tokens)
                    backward, clip, optimizer step
                    every eval_every steps (or each epoch): validate, keep best, patience
    on stop (steps, epochs, time limit, patience, Ctrl-C): validate, write `last`

The same code runs in one process or under ``torchrun`` (DDP: each rank takes an equal share of
the global batch; gradients are averaged; rank 0 writes files). A resumed run restores weights,
optimizer, RNG states, the data position and the carried state, so it continues exactly.
"""

from __future__ import annotations

import contextlib
import math
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqlab.errors import ConfigError, SeqlabError
from seqlab.nn.recurrent import cpu_bf16_lstm_supported
from seqlab.train import checkpoint as ckpt
from seqlab.train import distributed as ddp
from seqlab.train.kept import keep_step
from seqlab.train.metrics_log import MetricsLog, plot_loss
from seqlab.train.rng import get_rng_state, set_rng_state
from seqlab.train.run_start import log_run_start
from seqlab.train.schedule import Schedule, build_optimizer
from seqlab.train.task import TrainingTask


def check_precision(precision: str, device: torch.device) -> None:
    """bf16 on a CPU without native bf16 (AVX512-BF16 or AMX) is emulated, and torch's fused
    LSTM has no kernel for it at all: refuse it there rather than train about nine times
    slower (bench/bf16_cost.py)."""
    if precision == "bf16" and device.type == "cpu" and not cpu_bf16_lstm_supported():
        raise ConfigError(
            "train.precision: bf16 needs a CPU with native bf16 (AVX512-BF16 or AMX), and this "
            f"one offers {torch.backends.cpu.get_cpu_capability()}: bf16 is emulated there "
            "(a Multi30k training step ran about 9x slower than in fp32); use precision: fp32"
        )


@dataclass
class Position:
    """Where training stands; saved in every checkpoint."""

    step: int = 0  # optimizer steps done
    epoch: int = 0
    index: int = 0  # next batch index within the epoch
    best: float | None = None
    bad_evals: int = 0  # validations since the last improvement
    best_step: int = 0
    # (real, all) token positions of the batches since the last train row: its padding fraction
    real_positions: int = 0
    all_positions: int = 0


class Trainer:
    """Trains ``task``'s model into ``run_dir``; ``fit()`` returns the final metrics."""

    def __init__(
        self,
        task: TrainingTask,
        run_dir: Path,
        resume: bool = False,
        on_step=None,
        *,
        emulated_bf16: bool = False,
    ):
        """``emulated_bf16`` lets bf16 train on a CPU without native bf16, which is otherwise
        refused (bench/bf16_cost.py measures what that costs)."""
        self.task = task
        self.cfg = task.config.train
        self.run_dir = Path(run_dir)
        self.resume = resume
        self.on_step = on_step  # test hook: called as on_step(trainer) after every step
        self.stop_requested = False
        self.device = ddp.local_device(self.cfg.device)
        if not emulated_bf16:
            check_precision(self.cfg.precision, self.device)
        self.rank, self.world_size = task.rank, task.world_size
        self.is_main = self.rank == 0
        self.log = MetricsLog.for_run(self.run_dir, self.cfg.log_to, enabled=self.is_main)
        self.pos = Position()
        self.padding: float | None = None  # this rank's padding fraction, once fit() is done

    # ------------------------------------------------------------------------------ setup
    def setup(self) -> None:
        """Build the model and optimizer, and restore ``last`` when resuming. Writes nothing:
        a resume that fails here leaves the run directory as it was."""
        if getattr(self, "model", None) is not None:
            return
        self._setup()

    def _setup(self) -> None:
        if self.cfg.threads:
            torch.set_num_threads(self.cfg.threads)
        seed = self.cfg.seed + self.rank
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        self.model = self.task.build_model().to(self.device)
        self.optimizer = build_optimizer(self.model.parameters(), self.cfg)
        self.schedule = Schedule(self.optimizer, self.cfg, self.total_steps())
        self.carry = None
        if self.resume:
            self._restore(self.run_dir / "checkpoints" / "last")
        self.train_model: nn.Module = self.model
        if self.world_size > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.train_model = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)

    def total_steps(self) -> int:
        per_epoch = self.task.num_batches(0)
        total = per_epoch * self.cfg.epochs
        return min(total, self.cfg.max_steps) if self.cfg.max_steps else total

    # ------------------------------------------------------------------------------ checkpoints
    def _save(self, name: str, metrics: dict | None = None) -> None:
        if self.is_main:
            opt_tensors, opt_meta = ckpt.pack_optimizer(self.optimizer)
            rng_tensors, rng_meta = get_rng_state()
            tensors = {**opt_tensors, **rng_tensors, **ckpt.pack_state("carry", self.carry)}
            meta = {
                "task": self.task.name,
                "model_args": self.task.model_args(),
                "position": vars(self.pos),
                "optimizer": opt_meta,
                "schedule": self.schedule.state_dict(),
                "rng": rng_meta,
                "metrics": metrics or {},
                "world_size": self.world_size,
            }
            ckpt.save_checkpoint(self.run_dir / "checkpoints" / name, self.model, tensors, meta)
        ddp.barrier()

    def _restore(self, path: Path) -> None:
        meta = ckpt.read_meta(path)
        ckpt.check_optimizer(self.optimizer, meta["optimizer"], path)
        ckpt.load_weights(path, self.model)
        tensors = ckpt.load_trainer_tensors(path)
        ckpt.unpack_optimizer(self.optimizer, tensors, meta["optimizer"])
        self.schedule.load_state_dict(meta["schedule"])
        self.pos = Position(**meta["position"])
        self.carry = ckpt.unpack_state("carry", tensors, self.device)
        if meta.get("world_size", 1) == self.world_size:
            set_rng_state(tensors, meta["rng"])

    def _kept_checkpoint(self) -> str:
        """What a stop leaves behind: the last checkpoint written, or that there is none."""
        last = self.run_dir / "checkpoints" / "last"
        try:
            step = ckpt.read_meta(last)["position"]["step"]
        except SeqlabError:
            return "and no checkpoint exists yet (none is written before the first validation)"
        return f"the last good checkpoint (step {step}) is kept in {last}"

    # ------------------------------------------------------------------------------ steps
    def _autocast(self):
        if self.cfg.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def train_step(self, batch: Any) -> tuple[float, int]:
        self.train_model.train()
        lr = self.schedule.set_step(self.pos.step)
        with self._autocast():
            loss, ntokens, carry = self.task.batch_loss(self.train_model, batch, self.carry)
        if self.world_size > 1:  # each rank's mean, weighted by its share of the tokens
            share = ntokens * self.world_size / ddp.all_reduce_sum(ntokens)
            loss = loss * share  # DDP averages gradients: the global token mean's gradient
        value = loss.item()
        if not math.isfinite(value):
            raise SeqlabError(
                f"loss became {value} at step {self.pos.step + 1}; training stopped, "
                f"{self._kept_checkpoint()}"
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = [p for p in self.model.parameters() if p.grad is not None]
        self.grad_norm = nn.utils.get_total_norm([p.grad for p in params])  # before clipping
        if self.cfg.clip_grad_norm > 0:
            nn.utils.clip_grads_with_norm_(params, self.cfg.clip_grad_norm, self.grad_norm)
        self.optimizer.step()
        self.carry = carry
        self.pos.step += 1
        self.pos.index += 1
        self.lr = lr
        return value, ntokens

    def evaluate(self) -> dict[str, float]:
        self.model.eval()
        with torch.no_grad(), self._autocast():
            metrics = self.task.validate(self.model)
        return {k: float(v) for k, v in metrics.items()}

    def _validate(self) -> dict[str, float]:
        """Validate, log, keep ``best``, update patience; returns the metrics."""
        metrics = self.evaluate()
        name = self.cfg.metric
        if name not in metrics:
            raise SeqlabError(
                f"train.metric: {name!r} is not reported by task {self.task.name}; "
                f"expected one of {', '.join(metrics)}"
            )
        value = metrics[name]
        if not math.isfinite(metrics.get("loss", 0.0)) or not math.isfinite(value):
            raise SeqlabError(
                f"validation {name} became {value} at step {self.pos.step}; training stopped, "
                f"{self._kept_checkpoint()}"
            )
        mode = self.task.metric_modes.get(name, "min")
        improved = self.pos.best is None or (
            value < self.pos.best if mode == "min" else value > self.pos.best
        )
        if improved:
            self.pos.best, self.pos.best_step, self.pos.bad_evals = value, self.pos.step, 0
        else:
            self.pos.bad_evals += 1
        self.schedule.on_validation(improved)
        self.log.write(
            {"split": "valid", "step": self.pos.step, "epoch": self.pos.epoch, **metrics}
        )
        if self.log.wants_samples:
            self.log.write_samples(self.pos.step, self.task.validation_samples(self.model))
        if improved:
            self._save("best", metrics)
        self._save("last", metrics)
        if self.is_main and self.cfg.keep_checkpoints:
            keep_step(self.run_dir / "checkpoints", self.pos.step, self.cfg.keep_checkpoints)
        if self.is_main:
            plot_loss(self.log.read(), self.run_dir / "loss.png", self.task.name)
        return metrics

    # ------------------------------------------------------------------------------ loop
    def request_stop(self) -> None:
        """Stop after the current step, validate and write ``last`` (Ctrl-C does this)."""
        self.stop_requested = True

    def _should_stop(self, start: float) -> str | None:
        cfg = self.cfg
        if self.stop_requested:
            return "interrupted"
        if cfg.max_steps and self.pos.step >= cfg.max_steps:
            return "max_steps"
        if cfg.time_limit_minutes and time.monotonic() - start >= cfg.time_limit_minutes * 60:
            return "time_limit"
        if cfg.patience and self.pos.bad_evals >= cfg.patience:
            return "patience"
        return None

    def fit(self) -> dict[str, Any]:
        self.setup()
        log_run_start(self.model, self.task, self.log, fresh=not self.resume)
        if self.resume:  # log lines after the checkpoint belong to steps that will run again
            self.log.truncate_after(self.pos.step)
        start = time.monotonic()
        old_handler = _install_sigint(self)
        try:
            reason, metrics = self._loop(start)
        finally:
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)
            self.log.close()
        out = {"reason": reason, "step": self.pos.step, "best": self.pos.best}
        return {**out, "metrics": metrics, "padding": self.padding}

    def _loop(self, start: float) -> tuple[str, dict]:
        from seqlab.train.progress import Progress

        cfg = self.cfg
        bar = Progress(self.total_steps(), self.pos.step, enabled=cfg.progress and self.is_main)
        metrics: dict = {}
        last_eval_step = self.pos.step if self.resume else -1
        reason = self._should_stop(start)
        while reason is None and self.pos.epoch < cfg.epochs:
            if self.pos.index == 0:
                self.carry = self.task.initial_carry(cfg.batch_size // self.world_size)
            while reason is None and self.pos.index < self.task.num_batches(self.pos.epoch):
                batch = self.task.train_batch(self.pos.epoch, self.pos.index)
                loss, ntok = self.train_step(batch)
                real, every = self.task.batch_positions(batch)
                self.pos.real_positions += real
                self.pos.all_positions += every
                bar.update(loss, ntok * self.world_size, self.lr, (real, every))
                if cfg.log_every and self.pos.step % cfg.log_every == 0:
                    self._log_train(loss, bar.rate())
                if self.on_step is not None:
                    self.on_step(self)
                if cfg.eval_every and self.pos.step % cfg.eval_every == 0:
                    with bar.paused():
                        metrics, last_eval_step = self._validate(), self.pos.step
                    bar.note(metrics)
                reason = self._should_stop(start)
            if self.pos.index >= self.task.num_batches(self.pos.epoch):
                self.pos.epoch, self.pos.index = self.pos.epoch + 1, 0
                if not cfg.eval_every:
                    with bar.paused():
                        metrics, last_eval_step = self._validate(), self.pos.step
                    bar.note(metrics)
                    reason = reason or self._should_stop(start)
        bar.close()
        self.padding = bar.padding()
        if last_eval_step != self.pos.step:
            metrics = self._validate()
        return reason or "epochs", metrics

    def _log_train(self, loss: float, rate: float) -> None:
        """A train row of metrics.jsonl: the loss of this step, and the padding fraction of
        every rank's batches since the last row."""
        record = {
            "split": "train",
            "step": self.pos.step,
            "epoch": self.pos.epoch,
            "loss": ddp.all_reduce_mean(loss),  # weighted: the mean over all tokens
            "lr": self.lr,
            "tokens_per_s": rate,
            "grad_norm": float(self.grad_norm),
        }
        real = ddp.all_reduce_sum(self.pos.real_positions)
        every = ddp.all_reduce_sum(self.pos.all_positions)
        if every:
            record["padding"] = 1 - real / every
        self.pos.real_positions = self.pos.all_positions = 0
        self.log.write(record)


def _install_sigint(trainer: Trainer):
    """First Ctrl-C: finish the step, validate, save ``last``; a second one aborts."""

    def handler(signum, frame):
        if trainer.stop_requested:
            raise KeyboardInterrupt
        trainer.request_stop()
        print("\nstopping after this step (Ctrl-C again to abort)", flush=True)

    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        return None
