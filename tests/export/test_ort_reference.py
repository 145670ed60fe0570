"""bench._bare_loops.ort_step_ms: ONNX Runtime's own run of an exported step graph, fed from
the export's encoder, for the benchmark's reference (and None for a torch model)."""

from __future__ import annotations

from bench import _bare_loops as bare
from seqlab.tasks import load_run


def test_the_onnx_runtime_reference_runs_the_step_graph(exported):
    task, model = load_run(exported["s2s"], backend="onnx")
    sentence = task.src_ids("a b c")
    assert bare.ort_step_ms(model, sentence, steps=3) > 0  # every input fed, the state chained
    _, torch_model = load_run(exported["s2s"])
    assert bare.ort_step_ms(torch_model, sentence, steps=3) is None
