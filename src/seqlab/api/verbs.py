"""Which verbs a loaded model answers to, and the one-line refusal of the others.

A task's verbs are the routes it serves (``translate`` and ``chat`` for seq2seq, ``generate``
for lm and condgen, ``classify``, ``tag``), ``evaluate`` when it scores files, and ``params`` and
``explain``, which every model has.
"""

from __future__ import annotations

from seqlab.errors import SeqlabError
from seqlab.tasks.base import Task

#: the verbs every model answers to, whatever its task
COMMON = ("params", "explain")


def verbs_of(task: Task) -> tuple[str, ...]:
    """The API verbs of ``task``, in the order a reader meets them."""
    scores = ("evaluate",) if task.offers("evaluate") else ()
    return (*task.serves, *scores, *COMMON)


def check_verb(task: Task, verb: str) -> None:
    """Raise a one-line error unless ``task`` answers to ``verb``."""
    verbs = verbs_of(task)
    if verb not in verbs:
        raise SeqlabError(f"{verb}: this is a {task.name} model; it offers {', '.join(verbs)}")
