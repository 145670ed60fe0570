"""A checkpoint loads on the CPU whatever device saved it: a run trained on a GPU (its config
``device: cuda``, CUDA RNG states beside the CPU's in ``trainer.safetensors``) is used and
resumed on a machine without one."""

from __future__ import annotations

import pytest
import torch
import yaml
from safetensors.torch import load_file, save_file

from seqlab.tasks import load_run
from seqlab.tasks.run import train
from seqlab.train.checkpoint import read_meta


def _as_saved_on_a_gpu(run) -> None:
    """What a CUDA training writes besides a CPU one: its device, and CUDA generator states."""
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["train"]["device"] = "cuda:1"
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    for which in ("last", "best"):
        path = run / "checkpoints" / which / "trainer.safetensors"
        tensors = load_file(str(path))
        tensors |= {
            f"rng.cuda.{i}": torch.randint(0, 255, (16,), dtype=torch.uint8) for i in (0, 1)
        }
        save_file(tensors, str(path))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_a_checkpoint_saved_on_a_gpu_loads_and_resumes_on_the_cpu(lm_config, tmp_path):
    run = tmp_path / "gpu"
    train(lm_config(name="gpu"), {"train": {"max_steps": 4, "eval_every": 2}})
    before = load_run(run, "last")[1].state_dict()
    _as_saved_on_a_gpu(run)
    task, model = load_run(run, "last")  # inference: on the CPU by default
    assert all(t.device.type == "cpu" for t in model.state_dict().values())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    summary = train(None, {"train": {"device": "cpu", "max_steps": 6}}, resume=run)
    assert summary["step"] == 6 and read_meta(run / "checkpoints/last")["position"]["step"] == 6
