"""seqlab from Python: the verbs of the command line as typed functions.

    train(config, overrides=None, out_dir=None) -> Run      training.py
    load(run_dir, backend="torch") -> Model                 model.py
    Model.translate / chat / generate / classify / tag / evaluate / params / explain
    explain(text, cell) -> Explanation                      explanation.py
    params(source) -> Params                                parameters.py

Results are dataclasses (results.py, translation.py) that print readably and show as tables and
figures in a notebook (display.py). Nothing here reads ``sys.argv`` or prints.
"""

from seqlab.api.explanation import Explanation, explain
from seqlab.api.model import Model, load
from seqlab.api.parameters import Params, params
from seqlab.api.results import Evaluation, Generation, Label, Tagging
from seqlab.api.training import Run, train
from seqlab.api.translation import Attention, Candidate, Translation

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
]
