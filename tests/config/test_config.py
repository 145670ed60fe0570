import pytest
from pydantic import ValidationError

from seqlab.config import TrainConfig, parse_overrides
from seqlab.errors import ConfigError, SeqlabError
from seqlab.tasks import load_run_config, run_config_from_dict

BASE = {"task": "lm", "data": {"train": "x.txt"}}


def test_defaults_and_types():
    cfg = run_config_from_dict(BASE)
    assert cfg.model.hidden_size == 512 and cfg.train.lr == 2e-3
    with pytest.raises(ValidationError, match="frozen"):
        cfg.train.lr = 1.0


@pytest.mark.parametrize(
    "patch, key",
    [
        ({"model": {"hiden_size": 3}}, "model.hiden_size: unknown key"),
        ({"model": {"hidden_size": "big"}}, "model.hidden_size: expected int"),
        ({"model": {"hidden_size": -4}}, "model.hidden_size: must be > 0"),
        ({"train": {"lr": "fast"}}, "train.lr: expected float"),
        ({"train": {"epochs": True}}, "train.epochs: expected int"),
        ({"model": {"embedding": {"kind": "glove"}}}, "model.embedding.kind"),
        ({"data": {"tokenizer": "bytes"}}, "data.tokenizer"),
        ({"trian": {}}, "trian: unknown key"),
        ({"task": "paint"}, "task: 'paint' is not valid"),
        ({"task": ["lm"]}, "task: expected str, got list"),
    ],
)
def test_bad_configs_name_the_key(patch, key):
    data = {**BASE, **{k: v for k, v in patch.items() if k != "data"}}
    if "data" in patch:
        data["data"] = {**BASE["data"], **patch["data"]}
    with pytest.raises(ConfigError) as e:
        run_config_from_dict(data, "cfg.yaml")
    assert key in str(e.value) and str(e.value).startswith("cfg.yaml: ")


def test_missing_required_key():
    with pytest.raises(ConfigError, match="data.train: required key is missing"):
        run_config_from_dict({"task": "lm"})


def test_overrides_parse_yaml_values():
    assert parse_overrides(["train.lr=0.002", "model.cell=gru", "train.progress=false"]) == {
        "train": {"lr": 0.002, "progress": False},
        "model": {"cell": "gru"},
    }
    with pytest.raises(SeqlabError, match="KEY=VALUE"):
        parse_overrides(["train.lr"])


def test_yaml_file_errors(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("task: lm\ndata: {train: a.txt\n")
    with pytest.raises(ConfigError, match=r"c.yaml:\d+: invalid YAML"):
        load_run_config(p)
    p.write_text("task: lm\ndata: {train: a.txt}\n")
    assert load_run_config(p, {"train": {"lr": 0.1}}).train.lr == 0.1


def test_train_config_checks():
    with pytest.raises(ConfigError, match="optimizer"):
        TrainConfig(optimizer="adagrad")
    with pytest.raises(ConfigError, match="batch_size: must be > 0"):
        TrainConfig(batch_size=0)


@pytest.mark.parametrize(
    "train, message",
    [
        ({"batch_type": "words"}, "train.batch_type: 'words' is not valid; expected one of"),
        ({"batch_type": "tokens"}, "train.batch_tokens: required with batch_type tokens"),
        ({"batch_tokens": 2000}, "train.batch_tokens: applies only to batch_type tokens"),
        ({"batch_type": "tokens", "batch_tokens": -5}, "train.batch_tokens: must be >= 0"),
    ],
)
def test_batch_type_and_budget_are_checked(train, message):
    with pytest.raises(ConfigError, match=message):
        run_config_from_dict({**BASE, "train": train})


def test_a_language_model_refuses_token_batches():
    from seqlab.tasks import task_class

    train = {"batch_type": "tokens", "batch_tokens": 2000}
    config = run_config_from_dict({**BASE, "train": train})
    with pytest.raises(ConfigError, match="'tokens' does not apply to a lm run; expected sen"):
        task_class("lm")(config)
    seq2seq = {"task": "seq2seq", "data": {"train": "x.tsv"}, "train": train}
    assert task_class("seq2seq")(run_config_from_dict(seq2seq)).batch_types[-1] == "tokens"
