"""Sequence to sequence: translation, and the chatbot (the same task on question/answer pairs).

config.py   the data and model sections of a seq2seq config
data.py     reading the pairs; each side's tokenizer and vocabulary
task.py     batches, model, loss, validation, the verbs (translate, evaluate), batched decoding
use.py      front ends of translate: Moses n-best lines, and the chat loop
metrics.py  teacher-forced loss, corpus BLEU, and the BLEU/chrF report of evaluate
"""

from seqlab.tasks.seq2seq.config import Seq2SeqDataConfig, Seq2SeqModelConfig
from seqlab.tasks.seq2seq.task import Seq2SeqTask

__all__ = ["Seq2SeqDataConfig", "Seq2SeqModelConfig", "Seq2SeqTask"]
