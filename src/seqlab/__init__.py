"""seqlab: recurrent sequence models you can read, run and measure.

From Python (the verbs of the command line, see :mod:`seqlab.api`)::

    import seqlab
    run = seqlab.train("configs/chatbot.yaml", {"train": {"max_steps": 300}}, out_dir="runs/bot")
    bot = seqlab.load(run.run_dir)
    bot.chat("hello")
    bot.translate("how are you", beam=5, n_best=3, attention=True)

``import seqlab`` stays cheap: torch and the rest load on first use of an API name.
"""

from __future__ import annotations

import importlib
import types
from typing import TYPE_CHECKING, Any

import seqlab.train as _training  # the training package; its __init__ imports nothing

__version__ = "0.1.0"

if TYPE_CHECKING:
    from seqlab.api import (
        Attention,
        Candidate,
        Evaluation,
        Explanation,
        Generation,
        Label,
        Model,
        Params,
        Run,
        Tagging,
        Translation,
        explain,
        load,
        params,
    )

__all__ = [
    "Attention",
    "Candidate",
    "Evaluation",
    "Explanation",
    "Generation",
    "Label",
    "Model",
    "Params",
    "Run",
    "Tagging",
    "Translation",
    "explain",
    "load",
    "params",
    "train",
    "__version__",
]
_API = frozenset(__all__) - {"train", "__version__"}


def __getattr__(name: str) -> Any:
    """The API names, imported on first use (PEP 562)."""
    if name in _API:
        return getattr(importlib.import_module("seqlab.api"), name)
    raise AttributeError(f"module 'seqlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])


class _TrainingPackage(types.ModuleType):
    """``seqlab.train`` is the name of the training subpackage (``seqlab.train.trainer``...)
    and of the API's training function. Binding the function to that name would break every
    ``import seqlab.train.X as Y``, so the subpackage itself becomes callable instead (the
    documented way to give a module behaviour: assigning its ``__class__``):
    ``seqlab.train(config, overrides=None, out_dir=None) -> Run`` is
    :func:`seqlab.api.train`."""

    def __call__(self, config, overrides=None, out_dir=None, **options):
        return importlib.import_module("seqlab.api").train(config, overrides, out_dir, **options)


_training.__class__ = _TrainingPackage
