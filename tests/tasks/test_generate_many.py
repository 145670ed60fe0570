"""Generation requests batched together sample exactly what each samples alone: each request
keeps its own random stream, and primes of different lengths share a batch."""

from __future__ import annotations

from seqlab.decode.strategy import Greedy, Sample
from seqlab.tasks import load_run
from seqlab.tasks.options import GenerateOptions
from seqlab.tasks.run import train


def test_language_model_requests_batched_equal_alone(lm_config, tmp_path):
    train(lm_config(name="g"), {"train": {"max_steps": 20}})
    task, model = load_run(tmp_path / "g")
    for strategy in (Sample(1.0, seed=3), Sample(0.7, top_k=5, seed=11), Greedy()):
        requests = [
            GenerateOptions(prime="the quick ", max_tokens=30, strategy=strategy, n=2),
            GenerateOptions(prime="a", max_tokens=30, strategy=strategy, n=1),
            GenerateOptions(prime="", max_tokens=30, strategy=strategy, n=3),
        ]
        together = task.generate_many(model, requests)
        alone = [task.generate(model, r) for r in requests]
        assert together == alone
        assert [len(t) for t in together] == [2, 1, 3]
        assert together[0][0].startswith("the quick ")
    seeded = GenerateOptions(prime="th", max_tokens=40, strategy=Sample(1.0, seed=5), n=2)
    first, second = task.generate(model, seeded)
    assert first != second  # the n samples of one request differ


def test_streamed_pieces_add_up_to_the_texts(lm_config, tmp_path):
    train(lm_config(name="s"), {"train": {"max_steps": 10}})
    task, model = load_run(tmp_path / "s")
    requests = [GenerateOptions(prime="pack ", max_tokens=25, strategy=Sample(1.0, seed=1), n=2)]
    pieces: dict[int, list[str]] = {}
    texts = task.generate_many(model, requests, lambda row, p: pieces.setdefault(row, []).append(p))
    assert ["".join(pieces[0]), "".join(pieces[1])] == texts[0]
