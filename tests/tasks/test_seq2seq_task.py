"""The seq2seq task: config checks, scheduled sampling, overfitting a handful of pairs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seqlab.data.parallel import make_batch
from seqlab.data.vocab import PAD_ID
from seqlab.errors import ConfigError
from seqlab.models.seq2seq import Seq2Seq
from seqlab.nn.stack import RecurrentShape
from seqlab.tasks import run_config_from_dict
from seqlab.tasks.seq2seq import Seq2SeqTask


def _config(tmp_path, **model):
    path = tmp_path / "pairs.tsv"
    path.write_text("a b\tb a\nc d\td c\n")
    data = {"train": str(path), "tokenizer": "word", "valid_fraction": 0.0}
    return run_config_from_dict({"task": "seq2seq", "data": data, "model": model})


@pytest.mark.parametrize(
    "model,message",
    [
        ({"attention": "luong", "score": "dot"}, "score: 'dot' needs encoder outputs"),
        ({"attention": "cosine"}, "attention: 'cosine' is not valid"),
        ({"attention": "none", "bridge": "zeros"}, "leaves the decoder blind"),
        ({"teacher_forcing": 1.5}, "teacher_forcing: must be in"),
    ],
)
def test_config_errors_name_the_key(tmp_path, model, message):
    with pytest.raises(ConfigError, match=message):
        _config(tmp_path, **model)


def test_scheduled_sampling_decays_linearly(tmp_path):
    config = _config(
        tmp_path,
        teacher_forcing_schedule="linear",
        teacher_forcing=1.0,
        teacher_forcing_final=0.5,
        teacher_forcing_steps=10,
    )
    task = Seq2SeqTask(config)
    assert [task.teacher_forcing(s) for s in (0, 5, 10, 20)] == [1.0, 0.75, 0.5, 0.5]
    task.prepare()
    assert task.train_batch(0, 0).teacher_forcing == 1.0


def test_prepare_train_batch_and_loss(tmp_path):
    task = Seq2SeqTask(_config(tmp_path, embedding_dim=8, hidden_size=8, dropout=0.0))
    task.prepare()
    assert task.num_batches(0) == 1
    batch = task.train_batch(0, 0)
    assert batch.src.shape == (2, 3) and batch.num_tokens == 6
    loss, ntok, carry = task.batch_loss(task.build_model(), batch, None)
    assert loss.ndim == 0 and ntok == 6 and carry is None
    metrics = task.validate(task.build_model())
    assert {"loss", "ppl", "bleu"} <= set(metrics)


def test_each_epoch_is_batched_once(tmp_path, monkeypatch):
    import seqlab.data.batching as module

    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{'a b c d'[: 1 + 2 * (i % 4)]}\tx y\n" for i in range(23)))
    data = {"train": str(path), "tokenizer": "word", "valid_fraction": 0.0}
    config = run_config_from_dict(
        {"task": "seq2seq", "data": data, "train": {"batch_size": 4}, "model": {}}
    )
    task = Seq2SeqTask(config)
    task.prepare()
    built = []
    real = module.epoch_batches
    monkeypatch.setattr(module, "epoch_batches", lambda *a, **k: built.append(a) or real(*a, **k))
    counts = {task.num_batches(e) for e in range(4)}
    for epoch in (0, 1, 2):
        for index in range(task.num_batches(epoch)):
            task.train_batch(epoch, index)
    assert counts == {5}  # 23 pairs, batch 4: five full batches in every epoch
    assert len(built) == 3  # one build per epoch, not one per step


# "reverse the sequence": a task attention solves and a fixed context vector can memorise
PAIRS = [
    ([4, 5, 6], [6, 5, 4]),
    ([7, 8], [8, 7]),
    ([9, 4, 7, 5], [5, 7, 4, 9]),
    ([6, 6, 8], [8, 6, 6]),
    ([10, 11, 4], [4, 11, 10]),
]


@pytest.mark.parametrize(
    "cell,attention,feed",
    [("gru", "bahdanau", False), ("lstm", "luong", True), ("gru", "none", False)],
)
def test_overfit_a_handful_and_greedy_decode_exactly(cell, attention, feed):
    from seqlab.data.parallel import pad, with_eos
    from seqlab.data.vocab import EOS_ID, SOS_ID
    from seqlab.decode.loop import decode
    from seqlab.decode.strategy import Greedy

    torch.manual_seed(0)
    model = Seq2Seq(
        12,
        12,
        RecurrentShape(
            cell=cell,
            embedding_dim=16,
            hidden_size=32,
            num_layers=1,
            dropout=0.0,
            bidirectional=True,
        ),
        attention=attention,
        input_feed=feed,
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    batch = make_batch(PAIRS)
    for _ in range(150):
        logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in)
        loss = F.cross_entropy(logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=PAD_ID)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if loss.item() < 0.01:
            break
    model.eval()
    src, lengths = pad([with_eos(s) for s, _ in PAIRS])
    limits = torch.full((len(PAIRS),), 8)
    first = torch.full_like(limits, SOS_ID)
    state = model.start(src, lengths)
    hyps = [h[0] for h in decode(model, state, Greedy(), first=first, limits=limits, eos=EOS_ID)]
    assert [h.tokens for h in hyps] == [t for _, t in PAIRS]
    assert all(h.finished for h in hyps)


@pytest.mark.parametrize("name", ["seq2seq_multi30k", "seq2seq_tatoeba", "chatbot"])
def test_shipped_configs_are_valid(name):
    from pathlib import Path

    from seqlab.tasks import load_run_config

    config = load_run_config(Path(__file__).resolve().parents[2] / "configs" / f"{name}.yaml")
    assert config.task == "seq2seq"


def test_label_smoothed_loss_equals_the_formula(tmp_path):
    """loss = mean over target tokens of (1 - eps) * -log p(y) + eps * mean_v -log p(v);
    padding is not a target token."""
    path = tmp_path / "pairs.tsv"
    path.write_text("a b\tb a\nc d e\te d c x\nf\tf g\n")  # targets of 3 lengths: padding
    data = {"train": str(path), "tokenizer": "word", "valid_fraction": 0.0}
    model_config = {"embedding_dim": 8, "hidden_size": 8, "dropout": 0.0, "label_smoothing": 0.1}
    config = run_config_from_dict({"task": "seq2seq", "data": data, "model": model_config})
    task = Seq2SeqTask(config)
    task.prepare()
    torch.manual_seed(0)
    model = task.build_model()
    batch = task.train_batch(0, 0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(30):  # overfit the batch: a model sure of its targets, where smoothing shows
        optimizer.zero_grad()
        task.batch_loss(model, batch, None)[0].backward()
        optimizer.step()
    keep = batch.tgt_out != PAD_ID  # (B, T)
    with torch.no_grad():
        logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in, keep=keep)  # (N, V)
        loss, ntokens, _ = task.batch_loss(model, batch, None)
    logp = logits.double().log_softmax(-1)
    nll = -logp.gather(1, batch.tgt_out[keep][:, None]).squeeze(1)  # (N,)
    uniform = -logp.mean(-1)  # (N,): cross-entropy against the uniform distribution

    assert ntokens == int(keep.sum()) == 3 + 5 + 3  # every target token and its <eos>
    assert float(loss) == pytest.approx(float((0.9 * nll + 0.1 * uniform).mean()), rel=1e-6)
    assert float(loss) > float(nll.mean()) + 0.1  # smoothing charges a sure model for it
