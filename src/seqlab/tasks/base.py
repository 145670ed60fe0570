"""A task: its training side (:class:`seqlab.train.task.TrainingTask`) plus the verbs a trained
model answers to, each with typed options (:mod:`seqlab.tasks.options`).

A task offers the verbs that make sense for it; asking another gives a one-line error that says
which kinds of run do offer it. So the CLI and the server call ``task.generate(...)`` without
asking which task they hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from torch import nn

from seqlab.errors import SeqlabError
from seqlab.models.ensemble import Ensemble
from seqlab.tasks.options import (
    EvaluateOptions,
    Evaluation,
    GenerateOptions,
    PredictOptions,
    TranslateOptions,
    Translation,
)
from seqlab.train.task import TrainingTask

#: which tasks answer to each verb, for the error message
VERBS = {
    "evaluate": "lm, seq2seq, classify and tag",
    "generate": "lm and condgen",
    "translate": "seq2seq",
    "predict": "classify and tag",
}

PieceCallback = Callable[[int, str], None]
"""on_piece(sample index, text): each piece of generated text as it is produced."""


class Task(TrainingTask):
    """Base of the five tasks; see :class:`seqlab.tasks.lm.LanguageModelTask` for a full one."""

    #: samples ``generate`` makes when the options do not say
    default_samples = 1
    #: the server routes this task answers (``/v1/<route>``)
    serves: tuple[str, ...] = ()
    #: what answers for several of its models at once (:meth:`ensemble`); None: nothing does
    ensemble_class: type[nn.Module] | None = Ensemble

    def describe(self) -> dict[str, int | list[str]]:
        """The sizes (and, when short, the entries) of its vocabularies and label sets."""
        return {}

    def offers(self, verb: str) -> bool:
        """Whether this task answers to ``verb`` (a key of :data:`VERBS`)."""
        return getattr(type(self), verb) is not getattr(Task, verb)

    def _refuse(self, verb: str) -> SeqlabError:
        return SeqlabError(f"{verb}: this is a {self.name} run; {verb} needs a {VERBS[verb]} run")

    def ensemble(self, models: list[nn.Module]) -> nn.Module:
        """One model answering as the mean of ``models``, trained runs of this task with the
        same vocabularies (``--ensemble``)."""
        self.check_ensemble()
        return self.ensemble_class(models)

    def check_ensemble(self) -> None:
        """Refuse ``--ensemble`` for a task that has no ensemble (before its members load)."""
        if self.ensemble_class is None:
            raise SeqlabError(
                f"--ensemble: a {self.name} run cannot be ensembled; ensembles are of seq2seq, "
                "classify or tag runs"
            )

    def evaluate(self, model: nn.Module, options: EvaluateOptions) -> Evaluation:
        """Score user files (``seqlab evaluate``)."""
        raise self._refuse("evaluate")

    def check_generate(self, options: GenerateOptions) -> None:
        """Refuse, before any work, what this model cannot generate from (an unknown prime
        character, a missing condition): a server answers 422 before it starts a stream."""

    def generate(
        self, model: nn.Module, options: GenerateOptions, on_piece: PieceCallback | None = None
    ) -> list[str]:
        """Generate ``options.n`` texts (``seqlab generate``); ``on_piece`` streams them."""
        return self.generate_many(model, [options], on_piece)[0]

    def generate_many(
        self,
        model: nn.Module,
        requests: list[GenerateOptions],
        on_piece: PieceCallback | None = None,
    ) -> list[list[str]]:
        """Several generations in one batch: the requests share their strategy and length; each
        has its own prime or condition and ``n``, and samples what it would alone. ``on_piece``
        numbers the samples of all requests in order."""
        raise self._refuse("generate")

    def translate(
        self, model: nn.Module, lines: Iterable[str], options: TranslateOptions
    ) -> Iterator[Translation]:
        """One translation per input line, in order (``seqlab translate`` and ``chat``)."""
        raise self._refuse("translate")

    def predict(self, model: nn.Module, lines: list[str], options: PredictOptions) -> list:
        """One prediction per input line (``seqlab predict``)."""
        raise self._refuse("predict")
