"""``seqlab.load``: a trained run, loaded once, answering the verbs of its task.

    model = seqlab.load("runs/demo/chatbot")      # config, vocabularies and weights
    model.translate("how are you", beam=5)        # seq2seq: translate, chat
    model.generate("The ", max_tokens=100)        # lm, condgen
    model.classify(["who wrote hamlet"])          # classify
    model.tag("John lives in Berlin .")           # tag
    model.evaluate("test.tsv"), model.params(), model.explain("hello")

A verb the task does not have is a one-line :class:`~seqlab.errors.SeqlabError` naming the task
and the verbs it has. A single text gives a single result; a list gives a list, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import overload

from torch import nn

from seqlab.api.explanation import Explanation, explain
from seqlab.api.parameters import Params, module_params
from seqlab.api.results import Evaluation, Generation, Label, Tagging
from seqlab.api.translation import Translation
from seqlab.api.verbs import check_verb, verbs_of
from seqlab.decode.strategy import Beam, beam_or_greedy, sampling
from seqlab.errors import SeqlabError
from seqlab.extras import require
from seqlab.runtime.backend import check_backend
from seqlab.tasks import load_run
from seqlab.tasks.base import Task
from seqlab.tasks.ensemble import load_ensemble
from seqlab.tasks.options import EvaluateOptions, GenerateOptions, PredictOptions, TranslateOptions


class Model:
    """A trained run: its task (``task``, which tokenizes and decodes) and its network
    (``module``, torch or an ONNX Runtime twin). Make one with :func:`load`."""

    def __init__(self, task: Task, module: nn.Module, *, run_dir: Path, backend: str = "torch"):
        self.task = task
        self.module = module
        self.run_dir = run_dir
        self.backend = backend

    @property
    def verbs(self) -> tuple[str, ...]:
        """The verbs this model answers to (``("translate", "chat", "evaluate", ...)``)."""
        return verbs_of(self.task)

    def offers(self, verb: str) -> bool:
        return verb in self.verbs

    def __repr__(self) -> str:
        return (
            f"Model(task={self.task.name!r}, run_dir={str(self.run_dir)!r}, "
            f"backend={self.backend!r}, verbs={', '.join(self.verbs)})"
        )

    # --- seq2seq -------------------------------------------------------------------------

    def translations(
        self,
        lines: Iterable[str],
        *,
        beam: int = 5,
        n_best: int = 1,
        attention: bool = False,
        length_penalty: str = "gnmt",
        alpha: float = 0.6,
        on_long: str = "truncate",
        batch_size: int = 32,
    ) -> Iterator[Translation]:
        """One :class:`Translation` per line, lazily, ``batch_size`` lines decoded at once (for
        a stream of lines); the other arguments are those of :meth:`translate`."""
        check_verb(self.task, "translate")
        options = TranslateOptions(
            strategy=beam_or_greedy(beam, n_best, length_penalty, alpha),
            on_long=on_long,
            attention=attention,
            batch_size=batch_size,
        )
        for result in self.task.translate(self.module, lines, options):
            yield Translation.of(result)

    @overload
    def translate(self, texts: str, **options) -> Translation: ...
    @overload
    def translate(self, texts: Sequence[str], **options) -> list[Translation]: ...

    def translate(self, texts, **options):
        """Translate one text or a list (seq2seq). Options: ``beam`` (5; 1 is greedy),
        ``n_best`` (1: the candidates kept per text), ``attention`` (False: keep the best
        candidate's attention weights), ``length_penalty`` (gnmt, avg or none) and its ``alpha``
        (0.6), ``on_long`` (truncate or error: a source over the model's limit) and
        ``batch_size`` (32).

        >>> model = seqlab.load("runs/demo/chatbot")  # doctest: +SKIP
        >>> model.translate("how are you", beam=5, n_best=3).candidates  # doctest: +SKIP
        """
        lines = [texts] if isinstance(texts, str) else list(texts)
        out = list(self.translations(lines, **options))
        return out[0] if isinstance(texts, str) else out

    def chat(self, text: str, *, beam: int = 5) -> str:
        """The reply of a chatbot (a seq2seq run) to one line.

        >>> seqlab.load("runs/demo/chatbot").chat("hello")  # doctest: +SKIP
        'hi'
        """
        check_verb(self.task, "chat")
        return self.translate(text, beam=beam).text

    # --- lm and condgen ------------------------------------------------------------------

    def generate(
        self,
        prime: str = "",
        *,
        max_tokens: int = 200,
        temperature: float = 0.8,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int | None = None,
        condition: str | None = None,
        n: int | None = None,
        beam: int = 0,
        on_piece: Callable[[int, str], None] | None = None,
    ) -> Generation:
        """Continue ``prime`` (lm) or start from ``condition`` (condgen: a label or
        ``FILE.npy[:ROW]``), feeding the model's own output back, ``max_tokens`` tokens per
        sample. ``temperature`` 0 is greedy; ``beam`` > 0 is beam search (condgen: the n best).
        ``n`` samples (default 1 for lm, 10 for condgen); ``on_piece(sample, text)`` receives
        the text as it is made.

        >>> char = seqlab.load("runs/demo/char")  # doctest: +SKIP
        >>> char.generate("The ", max_tokens=50, seed=1).text  # doctest: +SKIP
        """
        check_verb(self.task, "generate")
        strategy = Beam(beam) if beam else sampling(temperature, top_k, top_p, seed)
        options = GenerateOptions(
            prime=prime, max_tokens=max_tokens, strategy=strategy, condition=condition, n=n
        )
        texts = self.task.generate(self.module, options, on_piece=on_piece)
        return Generation(texts, prime, condition)

    # --- classify and tag ----------------------------------------------------------------

    @overload
    def classify(self, texts: str) -> Label: ...
    @overload
    def classify(self, texts: Sequence[str]) -> list[Label]: ...

    def classify(self, texts):
        """The label of one text or of each of a list (classify), with every label's
        probability.

        >>> seqlab.load("runs/demo/topics").classify("who wrote hamlet").label  # doctest: +SKIP
        'literature'
        """
        check_verb(self.task, "classify")
        return self._predict(texts, Label.of)

    @overload
    def tag(self, texts: str) -> Tagging: ...
    @overload
    def tag(self, texts: Sequence[str]) -> list[Tagging]: ...

    def tag(self, texts):
        """One tag per whitespace token of one sentence or of each of a list (tag), with the
        entity spans.

        >>> seqlab.load("runs/tag/conll03").tag("John lives in Berlin .").spans  # doctest: +SKIP
        """
        check_verb(self.task, "tag")
        return self._predict(texts, Tagging.of)

    def _predict(self, texts, convert):
        lines = [texts] if isinstance(texts, str) else list(texts)
        out = [convert(p) for p in self.task.predict(self.module, lines, PredictOptions())]
        return out[0] if isinstance(texts, str) else out

    # --- any task --------------------------------------------------------------------------

    def evaluate(
        self,
        data: str | Path | None = None,
        *,
        src: str | Path | None = None,
        ref: str | Path | None = None,
        beam: int = 1,
        encoding: str = "utf-8",
    ) -> Evaluation:
        """Score a file: ``data`` (lm: loss, perplexity, bits per token; classify: accuracy, F1;
        tag: entity F1) or ``src`` and ``ref`` (seq2seq: BLEU and chrF, beam ``beam``).

        >>> seqlab.load("runs/demo/char").evaluate("runs/demo/pydoc.tail.txt")  # doctest: +SKIP
        """
        check_verb(self.task, "evaluate")
        files = {k: None if v is None else str(v) for k, v in (("data", data), ("src", src))}
        options = EvaluateOptions(
            **files,
            ref=None if ref is None else str(ref),
            encoding=encoding,
            strategy=beam_or_greedy(beam),
        )
        result = self.task.evaluate(self.module, options)
        return Evaluation(result.metrics, result.report)

    def params(self) -> Params:
        """The parameter count of this model, per layer.

        >>> seqlab.load("runs/demo/chatbot").params().total  # doctest: +SKIP
        """
        return module_params(self.module, str(self.run_dir))

    def explain(self, text: str = "hello", **options) -> Explanation:
        """The numeric walk-through (:func:`seqlab.explain`) of a tiny one-layer model of this
        run's kind learning ``text``: its cell (``model.cell``), or one head of self-attention
        for a Transformer run; ``options`` are those of :func:`seqlab.explain` (hidden_size,
        seed, steps, lr).

        >>> seqlab.load("runs/demo/char").explain("hello", hidden_size=4)  # doctest: +SKIP
        """
        model = self.task.config.model
        if getattr(model, "arch", "recurrent") == "transformer":
            return explain(text, arch="transformer", **options)
        return explain(text, model.cell, **options)


def load(
    run_dir: str | Path,
    backend: str = "torch",
    *,
    which: str = "best",
    device: str = "cpu",
    ensemble: Sequence[str | Path] = (),
) -> Model:
    """Load a trained run from its directory alone (config, vocabularies, weights): checkpoint
    ``which`` (best, else last) on ``device``, or with ``backend`` onnx or onnx-int8 its export
    on ONNX Runtime (``seqlab export``; needs ``pip install 'seqlab[onnx]'``).

    ``ensemble``: more runs of the same task and vocabularies; the model then answers with the
    members' mean probabilities (a tagger: their mean emissions), torch backend only.

    >>> import seqlab
    >>> model = seqlab.load("runs/demo/chatbot")  # doctest: +SKIP
    >>> model.verbs  # doctest: +SKIP
    ('translate', 'chat', 'evaluate', 'params', 'explain')
    """
    check_backend(backend)
    if backend != "torch":
        require("onnx", f"backend {backend}")
    if ensemble:
        if backend != "torch":
            raise SeqlabError(f"--ensemble: needs backend torch, not {backend}")
        task, module = load_ensemble(run_dir, list(ensemble), which, device)
    else:
        task, module = load_run(run_dir, which, device, backend)
    return Model(task, module, run_dir=Path(run_dir), backend=backend)
