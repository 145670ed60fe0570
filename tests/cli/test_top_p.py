"""``seqlab generate --top-p P`` samples only from the nucleus: at every step the token drawn is
among the most likely tokens whose probabilities sum to P (the smallest such set)."""

from __future__ import annotations

import pytest
import torch

from seqlab.cli import main
from seqlab.tasks import load_run

PRIME, LENGTH, SEEDS = "the ", 60, (1, 2, 3)


@pytest.fixture
def run_dir(lm_config, tmp_path):
    main(["train", str(lm_config(name="run")), "--set", "train.max_steps=60"])
    return tmp_path / "run"


def generate(run_dir, capsys, top_p: float, seed: int) -> str:
    capsys.readouterr()
    main(
        ["generate", str(run_dir), "--prime", PRIME, "--length", str(LENGTH),
         "--temperature", "1.0", "--top-p", str(top_p), "--seed", str(seed)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert out.endswith("\n")
    return out[:-1]


def outside_nucleus(run_dir, text: str, top_p: float) -> list[int]:
    """Positions of the generated characters of ``text`` that lie outside the ``top_p``
    nucleus of the model's distribution given the characters before them."""
    task, model = load_run(run_dir)
    ids = torch.tensor([[task.vocab.stoi[ch] for ch in text]])  # (1, T)
    with torch.no_grad():
        probs = model(ids[:, :-1])[0][0].double().softmax(-1)  # (T-1, V): p(x_t+1 | x_<=t)
    out = []
    for t in range(len(PRIME) - 1, ids.shape[1] - 1):
        p, chosen = probs[t], ids[0, t + 1]
        mass_above = p[p > p[chosen]].sum()  # tokens more likely than the one drawn
        if mass_above > top_p + 1e-6:  # it would not be in the smallest set reaching top_p
            out.append(t + 1)
    return out


def test_top_p_keeps_every_draw_in_the_nucleus(run_dir, capsys):
    for seed in SEEDS:
        text = generate(run_dir, capsys, 0.5, seed)
        assert text.startswith(PRIME) and len(text) == len(PRIME) + LENGTH
        assert outside_nucleus(run_dir, text, 0.5) == [], seed
    # without the cut, the same seeds do draw outside the 0.5 nucleus: the check has teeth
    unrestricted = [generate(run_dir, capsys, 1.0, seed) for seed in SEEDS]
    assert any(outside_nucleus(run_dir, text, 0.5) for text in unrestricted)
