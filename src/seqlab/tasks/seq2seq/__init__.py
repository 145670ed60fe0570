"""Sequence to sequence: translation, and the chatbot (the same task on question/answer pairs).

config.py   the data and model sections of a seq2seq config
task.py     data, vocabularies, batches, loss, validation, batched decoding
use.py      the verbs of a trained run: translate, evaluate (BLEU, chrF), chat
metrics.py  teacher-forced loss and corpus BLEU
"""

from seqlab.tasks.seq2seq.config import Seq2SeqDataConfig, Seq2SeqModelConfig
from seqlab.tasks.seq2seq.task import Seq2SeqTask

__all__ = ["Seq2SeqDataConfig", "Seq2SeqModelConfig", "Seq2SeqTask"]
