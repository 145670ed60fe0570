import json

import pytest
import torch

from seqlab.errors import SeqlabError
from seqlab.tasks import load_run
from seqlab.tasks.run import train
from seqlab.train.checkpoint import read_meta, save_checkpoint


def test_run_directory_contents_and_learning(lm_config, tmp_path):
    summary = train(lm_config(name="r"), {"train": {"epochs": 4}})
    run = tmp_path / "r"
    for name in ("config.yaml", "tokenizer.json", "vocab.json", "metrics.jsonl", "loss.png"):
        assert (run / name).is_file(), name
    for ck in ("last", "best"):
        files = {p.name for p in (run / "checkpoints" / ck).iterdir()}
        assert files == {"model.safetensors", "trainer.safetensors", "checkpoint.json"}
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    train_loss = [r["loss"] for r in records if r["split"] == "train"]
    assert train_loss[-1] < 0.6 * train_loss[0]  # it learns
    # a language model's stream has no padding: no padding fraction is logged or summed up
    assert not any("padding" in r for r in records) and summary["padding"] is None
    meta = read_meta(run / "checkpoints" / "best")
    assert meta["position"]["step"] == meta["position"]["best_step"]
    assert summary["best"] == min(r["loss"] for r in records if r["split"] == "valid")


def test_bf16_is_refused_on_a_cpu_without_native_bf16(lm_config, tmp_path, monkeypatch):
    import seqlab.train.trainer as trainer

    monkeypatch.setattr(trainer, "cpu_bf16_lstm_supported", lambda: False)
    with pytest.raises(SeqlabError, match="train.precision: bf16 needs a CPU with native bf16"):
        train(lm_config(name="b"), {"train": {"precision": "bf16"}})
    assert not (tmp_path / "b").exists()  # refused before anything was written


def test_bf16_trains_an_lstm_where_the_cpu_has_it(lm_config, tmp_path):
    from seqlab.nn.recurrent import cpu_bf16_lstm_supported

    if not cpu_bf16_lstm_supported():
        pytest.skip("this CPU has no native bf16 (AVX512-BF16 or AMX)")
    train(lm_config(name="b"), {"train": {"epochs": 4, "precision": "bf16"}})
    records = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    train_loss = [r["loss"] for r in records if r["split"] == "train"]
    assert train_loss[-1] < 0.6 * train_loss[0]


def test_checkpoint_loads_on_cpu_without_data(lm_config, tmp_path):
    train(lm_config(name="r"), {"train": {"max_steps": 5}})
    (tmp_path / "corpus.txt").unlink()  # the run directory alone rebuilds the model
    task, model = load_run(tmp_path / "r", "last")
    assert next(model.parameters()).device.type == "cpu"
    logits, _ = model(torch.tensor([task.vocab.encode(list("the "))]))
    assert logits.shape[-1] == len(task.vocab)


def test_early_stopping_with_patience(lm_config):
    # lr far too high: validation cannot keep improving, so patience ends the run early
    summary = train(
        lm_config(name="p"),
        {
            "train": {
                "epochs": 50,
                "lr": 3.0,
                "optimizer": "sgd",
                "eval_every": 2,
                "patience": 2,
                "clip_grad_norm": 0.0,
            }
        },
    )
    assert summary["reason"] == "patience"


def test_nan_loss_stops_with_step_and_keeps_checkpoint(lm_config, tmp_path):
    def poison(trainer):
        if trainer.pos.step == 11:  # the step-10 validation has saved a good checkpoint
            with torch.no_grad():
                next(trainer.model.parameters()).fill_(float("nan"))

    with pytest.raises(SeqlabError, match="loss became nan at step 12"):
        train(lm_config(name="n"), {"train": {"eval_every": 5}}, on_step=poison)
    meta = read_meta(tmp_path / "n/checkpoints/last")
    assert meta["position"]["step"] == 10
    task, model = load_run(tmp_path / "n", "last")
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_non_finite_validation_is_not_saved(lm_config, tmp_path):
    def poison(trainer):
        if trainer.pos.step == 7:  # the step-10 validation sees NaN weights
            with torch.no_grad():
                trainer.model.output.bias.fill_(float("nan"))
            trainer.optimizer.step = lambda *a, **k: None  # keep the NaN in place

    with pytest.raises(SeqlabError, match="at step 8"):
        train(lm_config(name="v"), {"train": {"eval_every": 5}}, on_step=poison)
    assert read_meta(tmp_path / "v/checkpoints/last")["position"]["step"] == 5


def test_interrupted_write_leaves_previous_checkpoint(tmp_path, monkeypatch):
    model = torch.nn.Linear(2, 2)
    path = tmp_path / "ck" / "last"
    save_checkpoint(path, model, {}, {"position": {"step": 1}})

    def boom(*a, **k):
        raise OSError("disk full")

    import seqlab.train.checkpoint as ck

    monkeypatch.setattr(ck, "save_file", boom)
    with pytest.raises(OSError):
        save_checkpoint(path, model, {"x": torch.zeros(1)}, {"position": {"step": 2}})
    assert read_meta(path)["position"]["step"] == 1  # the old one is intact


def test_lr_schedules():
    from seqlab.config import TrainConfig
    from seqlab.train.schedule import lr_factor

    cfg = TrainConfig(schedule="cosine", warmup_steps=10, min_lr_ratio=0.1)
    assert lr_factor(0, 110, cfg) == pytest.approx(0.1)
    assert lr_factor(10, 110, cfg) == pytest.approx(1.0)
    assert lr_factor(60, 110, cfg) == pytest.approx(0.55)
    assert lr_factor(110, 110, cfg) == pytest.approx(0.1)
    lin = TrainConfig(schedule="linear")
    assert lr_factor(50, 100, lin) == pytest.approx(0.5)


def test_tokens_per_second_leaves_validation_time_out(monkeypatch):
    from seqlab.train import progress

    clock = iter([0.0, 10.0, 40.0, 50.0])  # start, pause begins, pause ends, rate()
    monkeypatch.setattr(progress, "clock", lambda: next(clock))
    bar = progress.Progress(total=5, initial=0, enabled=False)
    bar.update(loss=1.0, tokens=2000, lr=0.1)
    with bar.paused():
        pass
    assert bar.rate() == pytest.approx(2000 / 20.0)  # 50 s elapsed, 30 s of them paused
