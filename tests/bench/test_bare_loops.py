"""bench._bare_loops: the bare greedy loop is the same computation as seqlab's decoder (the same
tokens), and the references refuse models they do not write out."""

from __future__ import annotations

import torch

from bench import _bare_loops as bare
from seqlab.data.parallel import pad, with_eos
from seqlab.data.vocab import SOS_ID
from seqlab.decode.loop import decode
from seqlab.decode.strategy import Greedy
from seqlab.models.lm import LanguageModel
from seqlab.models.seq2seq import Seq2Seq
from seqlab.nn.stack import RecurrentShape

V = 23


def _seq2seq(cell: str = "lstm", attention: str = "bahdanau") -> Seq2Seq:
    torch.manual_seed(0)
    shape = RecurrentShape(cell, 8, 12, num_layers=1, bidirectional=True)
    return Seq2Seq(V, V, shape, attention=attention).eval()


def test_the_bare_decoder_loop_gives_seqlabs_greedy_tokens():
    model, sentence = _seq2seq(), [5, 9, 4, 17, 8]
    with torch.inference_mode():
        got = bare.decoder_loop(model, sentence, 12)()
        src, lengths = pad([with_eos(sentence)])
        hyp = decode(
            model,
            model.start(src, lengths),
            Greedy(),
            first=torch.tensor([SOS_ID]),
            limits=torch.tensor([12]),
            eos=None,
        )[0][0]
    assert got == hyp.tokens and len(got) == 12
    assert bare.decoder_step_ms(model, sentence, steps=3) > 0


def test_models_it_does_not_write_out_get_none():
    assert bare.decoder_step_ms(_seq2seq("gru"), [5, 6], steps=2) is None
    assert bare.decoder_step_ms(_seq2seq(attention="luong"), [5, 6], steps=2) is None
    shape = RecurrentShape(cell="lstm", embedding_dim=8, hidden_size=12, num_layers=2)
    assert bare.lm_us_per_char(LanguageModel(V, shape).eval(), 4) is None
    one = RecurrentShape(cell="lstm", embedding_dim=8, hidden_size=12, num_layers=1)
    assert bare.lm_us_per_char(LanguageModel(V, one).eval(), 4) > 0
