"""Numbers in YAML configs and ``--set`` overrides read the way people write them."""

from __future__ import annotations

import pytest
import yaml

from seqlab.config import (
    EmbeddingConfig,
    TrainConfig,
    from_dict,
    load_yaml,
    merge,
    parse_overrides,
    parse_yaml,
)
from seqlab.errors import ConfigError
from seqlab.tasks import load_run_config

FLOATS = [("5e-3", 0.005), ("1e6", 1e6), ("1E-4", 1e-4), (".5", 0.5), ("-2.5e+3", -2500.0)]
INTS = [("1_000", 1000), ("+1_000", 1000), ("12", 12)]


def _train_from_yaml(tmp_path, body: str) -> TrainConfig:
    path = tmp_path / "c.yaml"
    path.write_text(f"train:\n  {body}\n", encoding="utf-8")
    return from_dict(TrainConfig, load_yaml(path)["train"], "train.")


def _train_from_set(*items: str) -> TrainConfig:
    return from_dict(TrainConfig, parse_overrides(list(items))["train"], "train.")


# weight_decay is a float field with no range check, so a negative value shows the sign too
@pytest.mark.parametrize("text,value", FLOATS)
def test_float_field_in_yaml(tmp_path, text, value):
    config = _train_from_yaml(tmp_path, f"weight_decay: {text}")
    assert config.weight_decay == value and type(config.weight_decay) is float


@pytest.mark.parametrize("text,value", FLOATS)
def test_float_field_in_set(text, value):
    config = _train_from_set(f"train.weight_decay={text}")
    assert config.weight_decay == value and type(config.weight_decay) is float


@pytest.mark.parametrize("text,value", INTS)
def test_int_field_in_yaml_and_set(tmp_path, text, value):
    assert _train_from_yaml(tmp_path, f"max_steps: {text}").max_steps == value
    config = _train_from_set(f"train.max_steps={text}")
    assert config.max_steps == value and type(config.max_steps) is int


def test_lr_in_a_run_config_and_an_override(lm_config):
    path = lm_config(name="run")
    path.write_text(path.read_text().replace("lr: 0.01", "lr: 5e-3"), encoding="utf-8")
    assert load_run_config(path).train.lr == 0.005
    assert load_run_config(path, parse_overrides(["train.lr=1e6"])).train.lr == 1e6


def test_ints_are_still_ints_and_floats_with_a_dot_still_floats():
    assert parse_yaml("[12, -3, 0, 1.5, 1., 2.0e-3, 0x1F]") == [12, -3, 0, 1.5, 1.0, 0.002, 31]
    assert [type(v) for v in parse_yaml("[12, 1e3]")] == [int, float]


def test_booleans_stay_booleans():
    assert parse_yaml("[true, false, yes, no]") == [True, False, True, False]
    with pytest.raises(ConfigError, match=r"train\.max_steps: expected int, got bool True"):
        _train_from_set("train.max_steps=true")
    with pytest.raises(ConfigError, match=r"train\.lr: expected float, got bool"):
        _train_from_set("train.lr=true")


def test_text_that_only_starts_like_a_number_stays_text():
    assert parse_yaml("[1e5.txt, 1e, e5, .e5, 2x, 1.2.3]") == [
        "1e5.txt",
        "1e",
        "e5",
        ".e5",
        "2x",
        "1.2.3",
    ]
    config = from_dict(EmbeddingConfig, parse_yaml("{kind: pretrained, path: 1e5.txt}"))
    assert config.path == "1e5.txt"
    assert parse_overrides(["data.train=1e5.txt"]) == {"data": {"train": "1e5.txt"}}


def test_a_number_in_a_text_field_asks_for_quotes():
    # the text 1e5 was written as is gone once it is 100000.0, so it is not guessed back
    with pytest.raises(ConfigError) as e:
        from_dict(EmbeddingConfig, parse_yaml("{kind: pretrained, path: 1e5}"))
    assert str(e.value) == (
        "path: expected str, got float 100000.0; put the value in quotes to keep it as text"
    )
    quoted = from_dict(EmbeddingConfig, parse_yaml("{kind: pretrained, path: '1e5'}"))
    assert quoted.path == "1e5"
    assert from_dict(TrainConfig, parse_overrides(["device='1e5'"])).device == "1e5"


def test_a_real_non_number_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError) as e:
        _train_from_yaml(tmp_path, "lr: 5e-3x")
    assert str(e.value) == "train.lr: expected float, got str '5e-3x'"
    with pytest.raises(ConfigError, match=r"^train\.max_steps: expected int, got str '1k'$"):
        _train_from_set("train.max_steps=1k")
    # an int field does not take a float, even a whole one
    with pytest.raises(ConfigError, match=r"^train\.max_steps: expected int, got float 1000\.0$"):
        _train_from_set("train.max_steps=1e3")


def test_merged_overrides_keep_numbers():
    base = parse_yaml("train: {lr: 2.0e-3, epochs: 3}")
    merged = merge(base, parse_overrides(["train.lr=1E-4", "train.epochs=1_0"]))
    assert merged == {"train": {"lr": 1e-4, "epochs": 10}}


def test_pyyaml_safe_loader_is_left_alone():
    assert yaml.safe_load("1e6") == "1e6"  # other readers of YAML keep PyYAML's own rules
