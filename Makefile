# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs seqlab into it when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-quick lint format bench clean tour-runs

# Two workers, each taking whole test files (a module's shared runs are made once). The tests that
# start processes of their own (DDP, multi-node, the demos) are marked xdist_group("processes"):
# tests/conftest.py runs them one at a time, so they never overlap.
PYTEST_PARALLEL := -n 2 --dist loadfile

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# torch first and pinned: the CPU wheel on disk, never the multi-GB CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH bash scripts/demo.sh

test: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

# The edit loop: the same suite without the tests marked slow, and no lint.
test-quick: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not slow"

format: $(STAMP)
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

clean:
	rm -rf $(VENV) runs/demo

# The Korean demo (docs/tour.ko.md): Korean tokenizers, the "안녕하세요" walk-through and a Korean
# chatbot trained for a fixed 800 steps (three and a half minutes on 2 cores, too long to add to
# `make demo` and its 5-minute budget). Creates .venv like `make demo`; writes runs/demo_ko/.
.PHONY: demo-ko
demo-ko: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH bash scripts/demo_ko.sh

# Every run the tours (docs/tour.md, docs/tour.ko.md) read that `make demo` does not make: the
# Multi30k attention trio and the Transformer for 20 CPU-minutes each, their 4-minute versions,
# the SMS classifier and the surname generator. They train on ../shared/data (see its README) and
# take about two hours on 2 cores; the benchmark scripts also rewrite their docs/benchmarks.md
# sections. Then `python scripts/make_tour.py` reruns every command of the tours.
tour-runs: $(STAMP)
	bash bench/attention_three_way.sh multi30k 20 fp32 "none bahdanau luong transformer"
	SUFFIX=-4min bash bench/attention_three_way.sh multi30k 4 fp32 "none bahdanau transformer"
	$(BIN)/seqlab train configs/classify_sms.yaml --set train.progress=false
	$(BIN)/python -m bench.task_run condgen-names configs/condgen_names.yaml \
	  --set out_dir=runs/bench/names --set train.time_limit_minutes=5 --keys loss,copy_rate
