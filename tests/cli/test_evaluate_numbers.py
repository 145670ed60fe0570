"""``seqlab evaluate RUN --data FILE --json`` on a language model: its loss, perplexity, bits
per token, token count and <unk> rate equal a computation done here with plain torch."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F

from seqlab.cli import main
from seqlab.data.vocab import UNK_ID
from seqlab.tasks import load_run

# unseen by the model: the lines in a new order, and capitals, which the training text lacks
HELD_OUT = "Sphinx of black quartz, judge my vow.\nthe quick brown fox jumps over the lazy dog.\n"


def hand_evaluation(run_dir, text: str) -> dict[str, float]:
    """Mean cross-entropy over the text cut into B equal streams (B = 16, or fewer for a short
    text), each read whole from a zero state: what evaluation over BPTT windows with carried
    state must equal."""
    task, model = load_run(run_dir)
    ids = torch.tensor([task.vocab.stoi.get(ch, UNK_ID) for ch in text])  # a char model
    streams = max(1, min(16, (len(ids) - 1) // 2))
    rows = ids[: len(ids) // streams * streams].view(streams, -1)  # (B, N)
    with torch.no_grad():
        logits, _ = model(rows[:, :-1])  # (B, N-1, V)
    loss = F.cross_entropy(logits.flatten(0, 1).double(), rows[:, 1:].flatten()).item()
    unk = (ids == UNK_ID).double().mean().item()
    return {"loss": loss, "tokens": rows[:, 1:].numel(), "unk_rate": unk}


def test_evaluate_json_equals_a_hand_computation(lm_config, tmp_path, capsys):
    main(["train", str(lm_config(name="run")), "--set", "train.max_steps=40"])
    data = tmp_path / "held_out.txt"
    data.write_text(HELD_OUT * 12)  # 996 chars: 16 streams of 62, 4 BPTT windows (bptt 16)
    capsys.readouterr()

    main(["evaluate", str(tmp_path / "run"), "--data", str(data), "--json"])

    got = json.loads(capsys.readouterr().out)
    want = hand_evaluation(tmp_path / "run", data.read_text())
    assert got["tokens"] == want["tokens"] == 16 * 61  # each stream predicts all but its first
    assert got["loss"] == pytest.approx(want["loss"], rel=1e-5)
    assert got["ppl"] == pytest.approx(math.exp(want["loss"]), rel=1e-5)
    assert got["bpt"] == pytest.approx(want["loss"] / math.log(2), rel=1e-5)
    assert got["unk_rate"] == pytest.approx(want["unk_rate"]) and 0 < got["unk_rate"] < 0.05
