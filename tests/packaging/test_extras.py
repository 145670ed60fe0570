"""The optional extras: a command that needs a missing one says, in one line, what to install;
``seqlab --version`` names the versions a bug report needs."""

from __future__ import annotations

import sys

import pytest

from seqlab.cli import main
from seqlab.extras import EXTRAS, extra_of, require


def test_every_extra_module_maps_back_to_its_extra():
    for extra, modules in EXTRAS.items():
        assert all(extra_of(m) == extra for m in modules)
    assert extra_of("onnxruntime.quantization") == "onnx" and extra_of("torch") is None


@pytest.mark.parametrize("module", ["uvicorn", "fastapi"])
def test_serve_without_the_serve_extra_is_one_line(module, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "seqlab.serve.app", raising=False)  # imports fastapi anew
    with pytest.raises(SystemExit) as e:
        main(["serve", str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'seqlab[serve]'" in err
    assert err.startswith("error: seqlab serve needs ")


def test_a_missing_module_no_extra_installs_is_an_internal_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where the traceback file goes

    def broken(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'nowhere'", name="nowhere")

    monkeypatch.setattr("seqlab.cli.app", broken)
    with pytest.raises(SystemExit) as e:
        main(["params", "rnn(4)"])
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and "nowhere" in err


def test_an_onnx_backend_without_the_onnx_extra_is_one_line(monkeypatch):
    import seqlab
    from seqlab.errors import SeqlabError

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(SeqlabError, match=r"pip install 'seqlab\[onnx\]'"):
        require("onnx")
    with pytest.raises(SeqlabError, match=r"backend onnx-int8 needs onnx"):
        seqlab.load("no-such-run", backend="onnx-int8")


def test_version_names_seqlab_torch_and_onnxruntime(capsys):
    main(["--version"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["seqlab", "torch", "onnxruntime"]
    assert lines[0] == f"seqlab {__import__('seqlab').__version__}"
