"""``seqlab params``: analytic counts against torch's ``numel`` and Keras's documented formulas."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from seqlab.analysis.param_spec import parse_spec
from seqlab.analysis.params import (
    build_torch_model,
    param_table,
    param_table_from_module,
    recurrent_count,
)
from seqlab.cli import main
from seqlab.errors import SeqlabError

LECTURE = "embedding(5000,100) rnn(128) dense(1)"

SPECS = [
    LECTURE,
    "input(7) rnn(5)",
    "input(7) lstm(5)",
    "input(7) gru(5)",
    "input(7) gru(5,reset_after=false)",
    "input(7) birnn(5)",
    "input(7) bilstm(5) dense(3)",
    "input(7) bigru(5)",
    "embedding(30,8) lstm(6) lstm(4) dense(2)",
    "embedding(30,8) bilstm(6) gru(4) birnn(3) dense(2)",
    "embedding(30,8) lstm(6,layers=3) dense(2)",
    "embedding(30,8) bigru(6,layers=2) dense(5) dense(1)",
    "input(4) dense(9) rnn(3)",
    "embedding(30,8) bilstm(6) attention(bahdanau) dense(30)",
    "embedding(30,8) lstm(6) attention(bahdanau,size=5,enc=12) dense(30)",
    "embedding(30,8) gru(6) attention(luong_general) dense(30)",
    "embedding(30,8) gru(6) attention(luong_general,enc=10) dense(30)",
    "embedding(30,8) bigru(6) attention(luong_dot) dense(30)",
    "embedding(30,8) lstm(6) attention(luong_concat,size=4) lstm(3) dense(2)",
]


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --- the PyTorch convention is torch's own count ------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
def test_pytorch_count_equals_numel_of_built_model(spec):
    assert param_table(spec).pytorch_total == numel(build_torch_model(spec))


@pytest.mark.parametrize("spec", SPECS)
def test_per_layer_pytorch_counts_match_their_modules(spec):
    table, model = param_table(spec), build_torch_model(spec)
    assert [row.pytorch_count for row in table.rows] == [numel(m) for m in model.layers]


@pytest.mark.parametrize("spec", SPECS)
def test_output_sizes_match_a_forward_pass(spec):
    table, model = param_table(spec), build_torch_model(spec)
    first = parse_spec(spec)[0]
    batch, steps = 2, 5
    if hasattr(first, "num_embeddings"):
        inputs = torch.randint(0, first.num_embeddings, (batch, steps))
    else:
        inputs = torch.randn(batch, steps, first.input_size)
    memory = None
    if "enc=" in spec:  # an encoder of another size to attend over
        enc = int(spec.split("enc=")[1].split(")")[0])
        memory = torch.randn(batch, 3, enc)
    with torch.no_grad():
        out = model(inputs, memory)
    assert out.shape[-1] == table.rows[-1].output_size


@pytest.mark.parametrize("spec", [s for s in SPECS if "reset_after=false" not in s])
def test_module_walk_agrees_with_the_spec(spec):
    from_spec = param_table(spec)
    from_module = param_table_from_module(build_torch_model(spec))
    assert from_module.pytorch_total == from_spec.pytorch_total
    if "attention" not in spec:  # attention modules are counted as plain Linear layers
        assert from_module.keras_total == from_spec.keras_total


# --- the Keras convention follows Keras's documented formulas ------------------------------------


def test_lecture_pair():
    table = param_table(LECTURE)
    assert [row.keras_count for row in table.rows] == [500_000, 29_312, 129]
    assert table.keras_total == 529_441
    assert table.pytorch_total == 529_569


@pytest.mark.parametrize(
    ("spec", "keras"),
    [
        ("input(100) rnn(128)", 128 * (100 + 128 + 1)),  # SimpleRNN
        ("input(100) lstm(128)", 4 * 128 * (100 + 128 + 1)),
        ("input(100) gru(128)", 3 * 128 * (100 + 128 + 2)),  # reset_after=True
        ("input(100) gru(128,reset_after=false)", 3 * 128 * (100 + 128 + 1)),
        ("input(100) bilstm(64)", 2 * 4 * 64 * (100 + 64 + 1)),  # Bidirectional doubles
        ("input(100) bigru(64,reset_after=false)", 2 * 3 * 64 * (100 + 64 + 1)),
        ("input(10) lstm(8) lstm(4)", 4 * 8 * (10 + 8 + 1) + 4 * 4 * (8 + 4 + 1)),
        ("input(10) bilstm(8) lstm(4)", 2 * 4 * 8 * (10 + 8 + 1) + 4 * 4 * (16 + 4 + 1)),
        ("input(10) lstm(8,layers=2)", 4 * 8 * (10 + 8 + 1) + 4 * 8 * (8 + 8 + 1)),
        ("input(10) birnn(8) dense(3)", 2 * 8 * (10 + 8 + 1) + 16 * 3 + 3),  # dense reads 2*units
        ("embedding(50,16)", 50 * 16),
    ],
)
def test_keras_count_hand_derived(spec, keras):
    assert param_table(spec).keras_total == keras


def test_gru_reset_after_true_matches_pytorch():
    table = param_table("input(10) gru(8) bigru(4)")
    assert table.keras_total == table.pytorch_total


@pytest.mark.parametrize(
    ("spec", "count"),
    [
        ("input(6) attention(bahdanau)", 6 * 6 + 6 * 6 + 6),  # A defaults to H_dec
        ("input(6) attention(bahdanau,size=4,enc=10)", 6 * 4 + 10 * 4 + 4),
        ("input(6) attention(luong_general,enc=10)", 6 * 10),
        ("input(6) attention(luong_dot)", 0),
        ("input(6) attention(luong_concat,size=4)", (6 + 6) * 4 + 4),
    ],
)
def test_attention_counts(spec, count):
    table = param_table(spec)
    assert table.keras_total == table.pytorch_total == count


def test_attention_outputs_context_and_query():
    table = param_table("input(6) attention(luong_general,enc=10) dense(2)")
    assert table.rows[1].output_size == 16
    assert table.rows[2].pytorch_count == 16 * 2 + 2


@pytest.mark.parametrize("seq_len", [1, 30, 1000])
def test_seq_len_does_not_change_the_count(seq_len):
    table = param_table(LECTURE, seq_len=seq_len)
    assert (table.keras_total, table.pytorch_total) == (529_441, 529_569)
    assert table.seq_len == seq_len


def test_recurrent_count_formula():
    count = recurrent_count("lstm", 3, 2, num_layers=2, bidirectional=True, biases=2)
    assert count.formula == "2*4*2*(3+2+2) + 2*4*2*(4+2+2)"
    assert count.count == 2 * 4 * 2 * 7 + 2 * 4 * 2 * 8


# --- counting built models -----------------------------------------------------------------------


class Wrapper(nn.Module):
    """Stands in for seqlab's Recurrent: owns a torch recurrent module as ``self.rnn``."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(5, 7, num_layers=2, bidirectional=True, batch_first=True)
        self.scale = nn.Parameter(torch.ones(3))


class TiedLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(20, 7)
        self.encoder = Wrapper()
        self.norm = nn.LayerNorm(14)
        self.decoder = nn.Linear(7, 20)
        self.decoder.weight = self.embedding.weight  # tied


def test_module_walk_counts_wrappers_and_tied_weights_once():
    model = TiedLM()
    table = param_table_from_module(model)
    assert table.pytorch_total == numel(model)
    labels = [row.layer for row in table.rows]
    assert "encoder.rnn (LSTM)" in labels
    rnn_row = table.rows[labels.index("encoder.rnn (LSTM)")]
    assert rnn_row.pytorch_count == numel(model.encoder.rnn)
    assert rnn_row.keras_count == numel(model.encoder.rnn) - 2 * 2 * 4 * 7  # one bias fewer
    assert rnn_row.output_size == 14
    assert table.keras_total is None  # LayerNorm and the bare parameter have no Keras formula
    decoder = table.rows[labels.index("decoder (Linear)")]
    assert decoder.pytorch_count == 20


def test_module_walk_without_bias():
    rnn = nn.GRU(4, 3, bias=False)
    table = param_table_from_module(rnn)
    assert table.pytorch_total == table.keras_total == numel(rnn) == 3 * 3 * (4 + 3)


# --- bad specs -----------------------------------------------------------------------------------

BAD_SPECS = [
    ("rnn(128) dense(1)", "rnn(128)"),  # no input size
    ("input(3) lstm(0)", "lstm(0)"),
    ("input(3) foo(3)", "foo(3)"),
    ("input(3) lstm(4", "lstm(4"),
    ("input(3) lstm(4))", "lstm(4))"),
    ("input(3) lstm(4,bias=false)", "lstm(4,bias=false)"),
    ("input(3) lstm(4,reset_after=false)", "lstm(4,reset_after=false)"),
    ("input(3) gru(4,reset_after=maybe)", "gru(4,reset_after=maybe)"),
    ("input(3) lstm", "lstm"),
    ("input(3) lstm(x)", "lstm(x)"),
    ("input(3) lstm(4,5)", "lstm(4,5)"),
    ("input(3) bidense(4)", "bidense(4)"),
    ("input(3) lstm(4) embedding(5,3)", "embedding(5,3)"),
    ("input(3) rnn(4) dense(2) lstm(3)", "lstm(3)"),
    ("input(3) attention(luong_dot,enc=5)", "attention(luong_dot,enc=5)"),
    ("input(3) attention(cosine)", "attention(cosine)"),
    ("", ""),
]


@pytest.mark.parametrize(("spec", "token"), BAD_SPECS)
def test_bad_spec_names_the_token_and_the_valid_layers(spec, token):
    with pytest.raises(SeqlabError) as error:
        param_table(spec)
    message = str(error.value)
    assert repr(token) in message
    assert "valid layers: input, embedding, rnn, lstm, gru" in message
    assert "\n" not in message


def test_bad_seq_len():
    with pytest.raises(SeqlabError, match="seq-len"):
        param_table(LECTURE, seq_len=0)


# --- command line --------------------------------------------------------------------------------


def test_cli_table(capsys):
    main(["params", LECTURE])
    out = capsys.readouterr().out
    assert "529,441" in out and "529,569" in out
    assert "128*(100+128+1)" in out and "128*(100+128+2)" in out


def test_cli_seq_len_explains_weight_sharing(capsys):
    main(["params", LECTURE, "--seq-len", "30"])
    out = capsys.readouterr().out
    assert "529,441" in out and "529,569" in out
    assert "30 steps" in out and "W_x, W_h" in out and "shared over t" in out


def test_cli_json(capsys):
    main(["params", LECTURE, "--json", "--seq-len", "30"])
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == {"keras": 529_441, "pytorch": 529_569}
    assert data["seq_len"] == 30
    assert [layer["pytorch_count"] for layer in data["layers"]] == [500_000, 29_440, 129]


@pytest.mark.parametrize(("spec", "token"), [("rnn(128)", "rnn(128)"), ("input(3) foo(3)", "foo")])
def test_cli_bad_spec_exits_2_with_one_line(capsys, spec, token):
    with pytest.raises(SystemExit) as exit_info:
        main(["params", spec])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert token in err


def test_cli_directory_goes_to_params_from_path(capsys, tmp_path, lm_config):
    with pytest.raises(SystemExit) as exit_info:
        main(["params", str(tmp_path)])  # a directory that holds no run
    assert exit_info.value.code == 2
    assert "not a run directory" in capsys.readouterr().err
    main(["train", str(lm_config(name="r")), "--set", "train.max_steps=1"])
    capsys.readouterr()
    main(["params", str(tmp_path / "r")])  # a run directory: counts the model it rebuilds
    out = capsys.readouterr().out
    assert "rnn.rnn (LSTM)" in out and "total" in out
    main(["params", str(lm_config(name="c"))])  # a config: builds the model from scratch
    assert "output (Linear)" in capsys.readouterr().out


def test_cli_missing_yaml(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["params", str(tmp_path / "nope.yaml")])
    assert exit_info.value.code == 2
    assert "nope.yaml" in capsys.readouterr().err
