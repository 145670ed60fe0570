"""Every task reads its tokenizers, vocabularies and label sets through one loader, and every
task's data section starts from the shared text-data section."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from seqlab.data.tokenizers import build_tokenizer
from seqlab.data.vocab import Vocab
from seqlab.errors import SeqlabError
from seqlab.tasks import TASKS
from seqlab.tasks.artifacts import Artifacts, labels
from seqlab.tasks.text_data import TextDataConfig, TokenizedDataConfig

TASKS_DIR = Path(__file__).resolve().parents[2] / "src" / "seqlab" / "tasks"


def test_a_text_side_reads_back_as_it_was_written(tmp_path):
    tokenizer = build_tokenizer("char", ())
    vocab = Vocab.build([list("héllo wörld")])
    Artifacts(tmp_path).write_text_side("src_", tokenizer, vocab)
    got_tokenizer, got_vocab = Artifacts(tmp_path).text_side("src_")
    assert got_vocab.itos == vocab.itos and got_tokenizer.to_dict() == tokenizer.to_dict()


@pytest.mark.parametrize(
    "content", [b"\x80\x04\x95pickled", b"[1, 2]", b'{"itos": 5}', b"", b"\xff\xfe"]
)
def test_a_damaged_file_is_one_line_naming_it(tmp_path, content):
    (tmp_path / "vocab.json").write_bytes(content)
    with pytest.raises(SeqlabError) as e:
        Artifacts(tmp_path).vocab()
    assert str(e.value).startswith(f"{tmp_path}: cannot read tokenizer/vocabulary file vocab.json")
    with pytest.raises(SeqlabError, match="cannot read tokenizer/vocabulary file tokenizer.json"):
        Artifacts(tmp_path).tokenizer()  # missing


@pytest.mark.parametrize("value", ['"PER"', "[1, 2]", '["O", "O"]', '{"O": 0}'])
def test_a_label_set_is_a_list_of_distinct_names(tmp_path, value):
    (tmp_path / "labels.json").write_text(value)
    with pytest.raises(SeqlabError, match="labels.json"):
        Artifacts(tmp_path).read("labels.json", labels)
    (tmp_path / "labels.json").write_text(json.dumps(["ham", "spam"]))
    assert Artifacts(tmp_path).read("labels.json", labels) == ["ham", "spam"]


def _handlers_of_read_errors(path: Path) -> list[int]:
    """Lines of ``except`` clauses that catch OSError (file reading) in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            if "OSError" in ast.unparse(node.type):
                found.append(node.lineno)
    return found


def test_only_the_artifact_loader_catches_file_errors():
    catching = {
        str(path.relative_to(TASKS_DIR)): lines
        for path in sorted(TASKS_DIR.rglob("*.py"))
        if (lines := _handlers_of_read_errors(path))
    }
    assert set(catching) == {"artifacts.py"}, catching


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_data_section_extends_the_shared_text_section(name):
    section = TASKS[name].DataConfig
    assert issubclass(section, TextDataConfig)
    shared = set(TextDataConfig.model_fields)
    assert shared <= set(section.model_fields)
    if "tokenizer" in section.model_fields:
        assert issubclass(section, TokenizedDataConfig)
