"""Where a decoding step's time goes, inside the one decoding loop (:mod:`seqlab.decode.loop`).

Every step of a call is split five ways:

    start   the model's ``start``: encoding the source, reading the prime (once per call or
            batch, spread over its steps)
    step    the model's ``step`` (the recurrence, the attention, the output layer; or the
            exported graph's run)
    choice  choosing the next tokens: the picker (argmax, or the reshaped draw of sampling), or
            beam search's ``advance`` (scoring, top-k, finishing and pruning hypotheses)
    text    turning ids into text: the LM's pieces as they stream, the translation's detokenizer
    rest    everything else: the loop, the greedy bookkeeping, reordering states, the calls in
            between; the call's total minus the three above

Times are the calling thread's CPU time (``time.thread_time``): with one torch thread every
kernel runs on that thread, and another process sharing the core does not inflate it as it does
wall-clock time. The Python-level operations per step are counted with ``sys.setprofile``: every
Python function call and every call into C (a torch op, ``tolist``, a list method) is one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from seqlab.decode.beam import BeamSearch
from seqlab.decode.greedy import Picker

PARTS = ("start", "step", "choice", "text", "rest")


@dataclass
class Split:
    """Accumulated thread CPU seconds per part, and the model steps they cover."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARTS, 0.0))
    steps: int = 0
    total: float = 0.0

    def per_step_us(self) -> dict[str, float]:
        """Microseconds per model step: each part, ``rest`` and ``total``."""
        n = max(1, self.steps)
        out = {p: self.seconds[p] / n * 1e6 for p in PARTS[:-1]}
        out["rest"] = max(0.0, self.total / n * 1e6 - sum(out.values()))
        out["total"] = self.total / n * 1e6
        return out


def _timed(split: Split, part: str, fn: Callable, counts: bool = False) -> Callable:
    def wrapper(*args, **kwargs):
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            split.seconds[part] += time.thread_time() - start
            split.steps += counts

    return wrapper


@contextmanager
def wrapped_steps(model, wrap: Callable[[Callable], Callable]) -> Iterator[None]:
    """``model.step`` and the step ``model.decoding_step()`` gives (what the decoding loop
    calls) replaced by ``wrap`` of them while the block runs, each wrapped once: a decoding step
    that is ``model.step`` itself (the module path) is not wrapped again. Restored after."""
    saved_step, saved_decoding = model.__dict__.get("step"), model.__dict__.get("decoding_step")
    decoding_step = getattr(model, "decoding_step", None)
    wrapped = model.step = wrap(model.step)
    if decoding_step is not None:

        def wrapped_decoding_step():
            step = decoding_step()
            return step if step is wrapped else wrap(step)

        model.decoding_step = wrapped_decoding_step
    try:
        yield
    finally:
        _restore(model, "step", saved_step)
        if decoding_step is not None:
            _restore(model, "decoding_step", saved_decoding)


@contextmanager
def instrumented(model, text_owner, text_names: tuple[str, ...], split: Split) -> Iterator[None]:
    """Time the model's step, the choice of tokens and ``text_owner``'s text methods into
    ``split`` while the block runs; everything is restored after it."""
    saved_picker, saved_advance = Picker.__call__, BeamSearch.advance
    saved_start = model.__dict__.get("start")
    saved_text = {name: text_owner.__dict__.get(name) for name in text_names}
    model.start = _timed(split, "start", model.start)
    for name in text_names:
        setattr(text_owner, name, _timed(split, "text", getattr(text_owner, name)))
    Picker.__call__ = _timed(split, "choice", saved_picker)
    BeamSearch.advance = _timed(split, "choice", saved_advance)
    try:
        with wrapped_steps(model, lambda step: _timed(split, "step", step, counts=True)):
            yield
    finally:
        Picker.__call__, BeamSearch.advance = saved_picker, saved_advance
        _restore(model, "start", saved_start)
        for name, value in saved_text.items():
            _restore(text_owner, name, value)


def _restore(owner, name: str, value) -> None:
    if value is None:
        del owner.__dict__[name]  # the class attribute shows through again
    else:
        owner.__dict__[name] = value


def split_call(
    run: Callable[[], object], model, text_owner, text_names: tuple[str, ...], repeats: int = 3
) -> dict[str, float]:
    """Microseconds per model step of ``run()`` (the least total of ``repeats`` calls, after
    a warm-up call), split into :data:`PARTS`."""
    run()
    best: Split | None = None
    for _ in range(repeats):
        split = Split()
        with instrumented(model, text_owner, text_names, split):
            start = time.thread_time()
            run()
            split.total = time.thread_time() - start
        if best is None or split.total < best.total:
            best = split
    return best.per_step_us()


def python_ops(run: Callable[[], object], model, warm: bool = True) -> float:
    """Python-level operations (Python calls and calls into C) per model step of ``run()``
    (after a warm-up call unless ``warm`` is False)."""
    if warm:
        run()
    counter = {"ops": 0, "steps": 0}

    def counted(step: Callable) -> Callable:
        def call(*args, **kwargs):
            counter["steps"] += 1
            return step(*args, **kwargs)

        return call

    def profiler(frame, event, arg):
        if event in ("call", "c_call"):
            counter["ops"] += 1

    with wrapped_steps(model, counted):
        sys.setprofile(profiler)
        try:
            run()
        finally:
            sys.setprofile(None)
    return (counter["ops"] - counter["steps"]) / max(1, counter["steps"])  # less the wrapper


def profile_row(run: Callable[[], object], model, text_owner, text_names: tuple[str, ...]) -> dict:
    """The split (microseconds per step) and the Python operations per step of ``run()``."""
    row = split_call(run, model, text_owner, text_names)
    row["ops"] = python_ops(run, model, warm=False)  # split_call has warmed it up
    return row


def table(rows: list[tuple[str, str, dict, float]]) -> list[str]:
    """Markdown: per (what, backend, split, bound in µs), the split per step and the total
    against the weight-streaming bound."""
    lines = [
        "### Where a batch-1 step's time goes (thread CPU µs per model step)",
        "",
        "`start` is the encoder or the prime (once per sentence or call, spread over its "
        "steps), `step` the model's step, `choice` the argmax, the draw or beam search's "
        "scoring and pruning, `text` the detokenizer, `rest` the loop's own bookkeeping; "
        "Python ops count every Python call and call into C per step (`sys.setprofile`). "
        "The bound reads the step's weights once (int8: a quarter of the bytes).",
        "",
        "| decoding | backend | start | step | choice | text | rest | total | Python ops "
        "| bound | total / bound |",
        "|---|---|" + "---:|" * 9,
    ]
    for what, backend, split, bound in rows:
        parts = " | ".join(f"{split[p]:.0f}" for p in (*PARTS, "total"))
        lines.append(
            f"| {what} | {backend} | {parts} | {split['ops']:.0f} | {bound:.0f} | "
            f"{split['total'] / bound:.2f} |"
        )
    return lines + [""]
