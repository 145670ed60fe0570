"""Which held-out texts already occur, as a run of whole tokens, inside a training text.

A treebank's phrase-level data (GLUE's SST-2 training set holds every labelled phrase of every
parse tree) re-split at random leaves most held-out items inside some training item: the dev
phrase ``a gorgeous film`` is a piece of the training sentence ``it 's a gorgeous film .``, and
its label is nearly given away. Dropping such items leaves the held-out items (whole sentences,
mostly) whose text the model never saw whole.

Containment is by whole tokens, after tokenizing, so ``good`` is inside ``very good`` but not
inside ``goodness``, and an item that only shares a prefix with a training item stays:

    training   it 's a gorgeous film .
    dropped       's a gorgeous            (a contiguous run of its tokens)
    kept       it 's a gorgeous mess       (shares the first four tokens only)

The reverse relation (a training item inside the held-out item) is no use as a rule: the
training set holds the phrases of every tree, words included, so nearly every held-out item
contains one (on SST-2, it would leave 6 of 6,735 dev items). So what is left is cleaner, not
clean: a kept SST-2 dev sentence still has most of its constituents in training (for the median
one, a training phrase spans 83% of its tokens), and its accuracy stays above what the official
GLUE dev sentences give.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def contained_in_any(
    candidates: Sequence[Sequence[str]], corpus: Iterable[Sequence[str]]
) -> list[bool]:
    """For each token sequence of ``candidates``: whether it is a contiguous run of whole tokens
    of some sequence of ``corpus`` (equal to it included). An empty candidate is inside any
    sequence, so it counts as contained once ``corpus`` has one.

    Only the candidates are kept in memory: each corpus sequence is cut into the runs of the
    lengths that candidates have, and each run is looked up in a set, so the work is the
    number of such runs, not candidates x corpus.
    """
    wanted = {tuple(c) for c in candidates}
    lengths = sorted({len(c) for c in wanted} - {0})
    found: set[tuple[str, ...]] = set()
    for sequence in corpus:
        tokens = tuple(sequence)
        found.add(())  # the empty run is inside every sequence
        for n in lengths:
            if n > len(tokens):
                break
            found.update(run for run in _runs(tokens, n) if run in wanted)
    return [tuple(c) in found for c in candidates]


def _runs(tokens: tuple[str, ...], n: int) -> Iterable[tuple[str, ...]]:
    """The runs of ``n`` consecutive tokens of ``tokens``, left to right."""
    return (tokens[i : i + n] for i in range(len(tokens) - n + 1))
