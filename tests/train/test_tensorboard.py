"""TensorBoard on request (``train.log_to: [jsonl, tensorboard]``): the event files, read back
with TensorBoard's own reader, hold what ``metrics.jsonl`` holds, at the same steps, plus sample
outputs and an attention image at each validation."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.cli import main
from seqlab.cli.tensorboard import event_folder
from seqlab.errors import ConfigError
from seqlab.tasks.run import train
from seqlab.train.metrics_log import MetricsLog
from seqlab.train.samples import AttentionMap, Samples

TENSORBOARD = {"train": {"log_to": ["jsonl", "tensorboard"]}}
PNG = b"\x89PNG\r\n\x1a\n"


def read_events(run: Path):
    """The run's event files through TensorBoard's EventAccumulator (everything kept)."""
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    events = accumulator.EventAccumulator(
        str(run / "tensorboard"), size_guidance={"scalars": 0, "images": 0, "tensors": 0}
    )
    events.Reload()
    return events


def records(run: Path, split: str) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == split]


def scalars(events, tag: str) -> list[tuple[int, float]]:
    return [(e.step, e.value) for e in events.Scalars(tag)]


def samples_text(events) -> dict[int, str]:
    """step -> the Markdown of ``valid/samples``."""
    return {
        e.step: e.tensor_proto.string_val[0].decode()
        for e in events.Tensors("valid/samples/text_summary")
    }


def assert_same_as_jsonl(events, run: Path, split: str, keys: list[str]) -> None:
    """Each key of ``split``'s records is a scalar ``split/key`` at the same steps, same values."""
    rows = records(run, split)
    for key in keys:
        expected = [(r["step"], r[key]) for r in rows]
        got = scalars(events, f"{split}/{key}")
        assert [s for s, _ in got] == [s for s, _ in expected], key
        np.testing.assert_allclose([v for _, v in got], [v for _, v in expected], rtol=1e-5)


def test_seq2seq_with_attention_logs_scalars_samples_and_the_attention_image(tiny_task):
    config = tiny_task("seq2seq", "s2s", train="eval_every: 6")
    summary = train(config, TENSORBOARD)
    run = Path(summary["run_dir"])
    events = read_events(run)
    train_keys = ["loss", "lr", "tokens_per_s", "padding", "grad_norm"]
    assert_same_as_jsonl(events, run, "train", train_keys)
    assert_same_as_jsonl(events, run, "valid", ["loss", "ppl", "bleu"])
    valid_steps = [r["step"] for r in records(run, "valid")]
    assert valid_steps == [6, 12, 18]
    assert all(r["grad_norm"] > 0 for r in records(run, "train"))

    texts = samples_text(events)
    assert sorted(texts) == valid_steps
    source, reference = (
        (run.parent / "s2s-data" / "valid.tsv").read_text().splitlines()[0].split("\t")
    )
    header, rule, first, *_ = texts[valid_steps[-1]].splitlines()
    assert header == "| source | output | reference |" and rule.startswith("| ---")
    assert first.startswith(f"| {source} | ") and first.endswith(f" | {reference} |")

    images = events.Images("valid/attention")
    assert [i.step for i in images] == valid_steps
    assert all(i.encoded_image_string.startswith(PNG) and i.width > 100 for i in images)


def test_classify_logs_its_own_metrics_and_predictions_without_an_image(tiny_task):
    summary = train(tiny_task("classify", "cls"), TENSORBOARD)
    run = Path(summary["run_dir"])
    events = read_events(run)
    assert_same_as_jsonl(events, run, "valid", ["loss", "accuracy", "macro_f1", "f1_pos"])
    assert_same_as_jsonl(events, run, "train", ["loss", "grad_norm", "padding"])
    assert "valid/attention" not in events.Tags()["images"]  # a classifier has no attention
    texts = samples_text(events)
    assert sorted(texts) == [r["step"] for r in records(run, "valid")]
    rows = texts[max(texts)].splitlines()[2:]
    gold = [line.split("\t")[0] for line in (run.parent / "cls-data" / "valid.tsv").open()][:3]
    assert [row.rsplit("|", 2)[1].strip() for row in rows] == gold


def test_a_resumed_run_hides_the_steps_it_redoes(tiny_task):
    """Steps logged after the last checkpoint, before a crash, are purged: one value per step,
    and the values agree with metrics.jsonl (truncated and rewritten the same way)."""

    def crash(trainer):
        if trainer.pos.step == 7:  # the last checkpoint is step 4's validation
            raise RuntimeError("power cut")

    config = tiny_task("seq2seq", "cut", train="eval_every: 4")
    with pytest.raises(RuntimeError, match="power cut"):
        train(config, TENSORBOARD, on_step=crash)
    run = config.parent / "cut"
    assert [s for s, _ in scalars(read_events(run), "train/loss")] == list(range(1, 8))
    train(None, {}, resume=run)
    events = read_events(run)
    assert [s for s, _ in scalars(events, "train/loss")] == list(range(1, 19))
    assert_same_as_jsonl(events, run, "train", ["loss", "grad_norm"])


def test_showing_samples_leaves_training_unchanged(lm_config, tmp_path):
    """The language model's sample is drawn from its own seeded stream, never the global one:
    a run logs the same losses with TensorBoard on as off."""
    model = {"dropout": 0.3}  # dropout masks come from the global stream
    plain = train(lm_config(name="plain"), {"model": model, "train": {"max_steps": 25}})
    shown = {"model": model, "train": {"max_steps": 25, **TENSORBOARD["train"]}}
    shown = train(lm_config(name="shown"), shown)
    assert plain["step"] == shown["step"] == 25
    for key in ("loss", "grad_norm"):
        a, b = (records(tmp_path / name, "train") for name in ("plain", "shown"))
        assert [(r["step"], r[key]) for r in a] == [(r["step"], r[key]) for r in b]
    texts = samples_text(read_events(tmp_path / "shown"))
    assert sorted(texts) == [10, 20, 25]
    assert len({text for text in texts.values()}) > 1  # the model changed between validations


@pytest.mark.parametrize("clip", [0.0, 0.05])
def test_grad_norm_is_logged_before_clipping_and_clipping_still_applies(lm_config, tmp_path, clip):
    seen = []  # (logged norm, norm of the gradients the optimizer stepped with)

    def after_step(trainer):
        grads = [p.grad for p in trainer.model.parameters() if p.grad is not None]
        seen.append((float(trainer.grad_norm), float(torch.nn.utils.get_total_norm(grads))))

    overrides = {"train": {"max_steps": 5, "clip_grad_norm": clip}}
    train(lm_config(name="g"), overrides, on_step=after_step)
    assert [r["grad_norm"] for r in records(tmp_path / "g", "train")] == [b for b, _ in seen]
    for before, after in seen:
        assert before > 0.05  # so that a clip at 0.05 acts at every step
        assert after == pytest.approx(min(before, clip) if clip else before, rel=1e-4)


def test_only_an_enabled_log_writes(tmp_path):
    """DDP ranks but 0 have a disabled log: no metrics.jsonl, no event file."""
    log = MetricsLog.for_run(tmp_path, ("jsonl", "tensorboard"), enabled=False)
    log.write({"split": "train", "step": 1, "epoch": 0, "loss": 1.0})
    attention = AttentionMap(np.full((1, 2), 0.5), ["a", "<eos>"], ["b"])
    log.write_samples(1, Samples(("x",), [("y",)], attention))
    log.close()
    assert list(tmp_path.iterdir()) == []


def test_tensorboard_without_the_package_is_a_one_line_error(tiny_task, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if it were not installed
    config = tiny_task("classify", "missing")
    with pytest.raises(SystemExit) as stop:
        main(["train", str(config), "--set", "train.log_to=[jsonl, tensorboard]"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'seqlab[tensorboard]'" in err
    assert err.startswith("error: train.log_to: tensorboard needs the tensorboard package")
    assert not (config.parent / "missing").exists()  # refused before anything was written


def test_log_to_names_are_checked():
    from seqlab.config import TrainConfig

    assert TrainConfig().log_to == ("jsonl",)
    with pytest.raises(ConfigError, match=r"log_to\[1\]: 'wandb' is not valid"):
        TrainConfig(log_to=("jsonl", "wandb"))


def test_samples_table_keeps_each_cell_in_its_column():
    table = Samples(("text", "label"), [("a | b\nc", "x")]).markdown()
    assert table.splitlines() == ["| text | label |", "| --- | --- |", "| a \\| b ⏎ c | x |"]
    assert Samples().markdown() == ""
    with pytest.raises(ValueError, match="2 fields for 1 columns"):
        Samples(("one",), [("a", "b")])


def test_seqlab_tensorboard_resolves_the_run_and_builds_the_command(tiny_task, capsys):
    summary = train(tiny_task("classify", "shown"), TENSORBOARD)
    run = Path(summary["run_dir"])
    assert event_folder(run) == (run / "tensorboard", False)
    main(["tensorboard", str(run), "--print", "--port", "7007"])
    out = capsys.readouterr().out
    assert out.split() == ["tensorboard", "--logdir", str(run / "tensorboard"), "--port", "7007"]


def test_seqlab_tensorboard_shows_a_run_trained_without_it_from_metrics_jsonl(tiny_task, capsys):
    run = Path(train(tiny_task("classify", "plain"), {})["run_dir"])  # log_to: [jsonl] only
    main(["tensorboard", str(run), "--print"])
    captured = capsys.readouterr()
    command = captured.out.split()
    logs = Path(command[command.index("--logdir") + 1])
    try:
        assert "no event files; showing its metrics.jsonl" in captured.err
        assert not (run / "tensorboard").exists()  # the run directory is left as it was
        events = read_events(logs.parent)
        assert_same_as_jsonl(events, run, "train", ["loss", "lr", "grad_norm"])
        assert_same_as_jsonl(events, run, "valid", ["loss", "accuracy"])
    finally:
        shutil.rmtree(logs.parent)


def test_seqlab_tensorboard_refuses_what_is_not_a_run(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["tensorboard", str(tmp_path / "nowhere"), "--print"])
    assert stop.value.code == 2
    assert "nowhere: no such run directory" in capsys.readouterr().err
