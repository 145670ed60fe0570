"""seqlab from Python: the verbs of the command line as typed functions.

    train(config, overrides=None, out_dir=None) -> Run      training.py
    load(run_dir, backend="torch") -> Model                 model.py
    Model.translate / chat / generate / classify / tag / evaluate / params / explain
    explain(text, cell) -> Explanation                      explanation.py
    params(source) -> Params                                parameters.py

Results are dataclasses (results.py, translation.py) that print readably and show as tables and
figures in a notebook (display.py). Nothing here reads ``sys.argv`` or prints.
"""

# the names ``seqlab`` lends from here (its ``__all__`` lists them), re-exported as written
from seqlab.api.explanation import Explanation as Explanation
from seqlab.api.explanation import explain as explain
from seqlab.api.model import Model as Model
from seqlab.api.model import load as load
from seqlab.api.parameters import Params as Params
from seqlab.api.parameters import params as params
from seqlab.api.results import Evaluation as Evaluation
from seqlab.api.results import Generation as Generation
from seqlab.api.results import Label as Label
from seqlab.api.results import Tagging as Tagging
from seqlab.api.training import Run as Run
from seqlab.api.training import train as train
from seqlab.api.translation import Attention as Attention
from seqlab.api.translation import Candidate as Candidate
from seqlab.api.translation import Translation as Translation
