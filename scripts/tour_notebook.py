"""The code cells of the tour notebooks (notebooks/tour.en.ipynb, notebooks/tour.ko.ipynb): the
lecture's sections calling seqlab from Python. The prose around them (headings, the lecture's
topic, what to notice) is the tours' own text, from make_tour.SECTIONS and tour_ko.SECTIONS, so a
notebook and its tour cannot drift; make_notebooks.py puts the two together.

Every model is small and trains on text that ships in the installed packages (Python's pydoc
topics, the chatterbot corpus, gensim's Lee corpus): nothing is downloaded and nothing is read
from ../shared. SEQLAB_NOTEBOOK_SCALE (default 1) multiplies every step budget; the stored
outputs ran at 1, `make test` runs both notebooks at 0.02.
"""

from __future__ import annotations

SETUP = """\
%matplotlib inline
import os
import shutil
from pathlib import Path

import seqlab

# SEQLAB_NOTEBOOK_SCALE multiplies every training budget: 1 for the stored outputs (a few
# minutes on 2 CPU cores), 0.02 when `make test` executes this notebook.
SCALE = float(os.environ.get("SEQLAB_NOTEBOOK_SCALE", "1"))
RUNS = Path("runs/notebook")
shutil.rmtree(RUNS, ignore_errors=True)  # a rerun trains afresh
RUNS.mkdir(parents=True)


def steps(n: int) -> int:
    \"\"\"A step budget of n, scaled (at least 1).\"\"\"
    return max(1, round(n * SCALE))


# progress bars are tqdm.auto: a widget in Jupyter; off here to keep the stored outputs short
QUIET = {"progress": False, "threads": 1}
print(f"seqlab {seqlab.__version__}, scale {SCALE}")"""

CHAR_LM = """\
from pydoc_data.topics import topics

text = "\\n\\n".join(topics[k] for k in sorted(topics))  # Python's own help texts
(RUNS / "pydoc.txt").write_text(text, encoding="utf-8")
char_run = seqlab.train(
    {
        "task": "lm",
        "data": {"train": str(RUNS / "pydoc.txt"), "tokenizer": "char", "bptt": 64,
                 "valid_fraction": 0.05},
        "model": {"cell": "lstm", "embedding_dim": 32, "hidden_size": 192, "dropout": 0.0},
        "train": {"batch_size": 32, "lr": 0.005, "max_steps": steps(200),
                  "eval_every": steps(200), **QUIET},
    },
    out_dir=RUNS / "char",
)
char_run"""

CHAR_SAMPLE = """\
char = char_run.load()
print(char.generate("The ", max_tokens=160, temperature=0.8, seed=3))"""

TOPICS = """\
import yaml
from seqlab.data.chatterbot import corpus_dir

# many-to-one: which chatterbot topic (file) does a question come from?
rows = []
for path in sorted(corpus_dir("english").glob("*.yml")):
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for conversation in data.get("conversations") or []:
        if conversation and isinstance(conversation[0], str) and conversation[0].strip():
            rows.append(f"{path.stem}\\t{' '.join(conversation[0].split())}")
(RUNS / "topics.tsv").write_text("\\n".join(rows) + "\\n", encoding="utf-8")
topics_run = seqlab.train(
    {
        "task": "classify",
        "data": {"train": str(RUNS / "topics.tsv"), "lowercase": True},
        "model": {"cell": "gru", "embedding_dim": 64, "hidden_size": 64,
                  "bidirectional": True, "pooling": "max", "dropout": 0.3},
        "train": {"batch_size": 32, "lr": 0.004, "epochs": 100, "max_steps": steps(400),
                  "eval_every": steps(400), **QUIET},
    },
    out_dir=RUNS / "topics",
)
classifier = topics_run.load()
classifier.classify(["who wrote hamlet", "what is a computer", "who won the world cup"])"""


def chatbot(corpus: str, questions: list[str], name: str) -> str:
    """The cell that trains a chatbot on one language of the chatterbot corpus and asks it
    ``questions`` (many-to-many: seq2seq with attention)."""
    return f"""\
bot_run = seqlab.train(
    {{
        "task": "seq2seq",
        "data": {{"train": "chatterbot:{corpus}", "valid_fraction": 0.0, "tokenizer": "word",
                 "lowercase": True, "joint": True, "max_src_len": 30, "max_tgt_len": 30,
                 "bleu_sentences": steps(100)}},
        "model": {{"cell": "gru", "embedding_dim": 64, "hidden_size": 128, "bidirectional": True,
                  "attention": "bahdanau", "dropout": 0.1, "max_len_offset": 15}},
        "train": {{"batch_size": 32, "lr": 0.005, "schedule": "constant", "epochs": 1000,
                  "max_steps": steps(500), "eval_every": steps(500), "clip_grad_norm": 5.0,
                  "metric": "bleu", **QUIET}},
    }},
    out_dir=RUNS / "{name}",
)
bot = bot_run.load()
for question in {questions!r}:
    print(f"{{question}}  ->  {{bot.chat(question)}}")"""


PARAMS = """\
print(seqlab.params("embedding(5000,100) rnn(128) dense(1)", seq_len=30))
print(seqlab.params("embedding(10000,128) bilstm(256) lstm(256) dense(10)"))
print(f"the chatbot above: {bot.params().total:,} parameters")"""

WORD_VECTORS = """\
from gensim.test.utils import datapath
from seqlab.analysis.word_vectors import compare
from seqlab.train.word2vec import Word2VecConfig, train_word2vec

# gensim's Lee corpus (Australian news, 67k words) ships with gensim
config = Word2VecConfig(dim=50, epochs=max(1, round(10 * SCALE)), min_count=3, workers=1, seed=1)
trained = train_word2vec(datapath("lee_background.cor"), config, lowercase=True, progress=False)
print(f"{len(trained.kv):,} words from {trained.corpus_words:,} tokens")
print(compare(trained.kv, ["president", "bush", "minister", "fire", "fires"]).table())"""

TOKENIZE_KO = """\
from seqlab.data.tokenizers import build_tokenizer

sentence = "나는 오늘 기분이 짙은 구름처럼 늘어져 있다"  # the lecture's many-to-one example
for name, kind, options in [("음절", "char", {}), ("자모", "char", {"decompose_hangul": True}),
                            ("어절", "word", {})]:
    tokens = build_tokenizer(kind, [], 0, **options).tokenize(sentence)
    print(f"{name} {len(tokens)}개: {tokens}")"""

GRADIENTS = """\
from seqlab.analysis import gradients

result = gradients.diagnose_gradients(
    ["rnn", "lstm", "gru"], length=60, train_steps=steps(150), text=RUNS / "pydoc.txt"
)
print(gradients.format_report(result))
gradients.draw_gradients(result)"""

ATTENTION_HELLO = 'seqlab.explain("hello", arch="transformer", hidden_size=4, seed=0)'


def explained_ko(name: str, call: str) -> str:
    """A Korean cell that prints an explanation and draws its figure with Korean labels."""
    return f'{name} = {call}\nprint({name})\n{name}.plot(lang="ko")'


# section number -> code cells, per language; the sections are the tours' (1..9)
CELLS: dict[str, dict[int, list[str]]] = {
    "en": {
        1: ['seqlab.explain("hello", "lstm", hidden_size=4, seed=0, steps=0)'],
        2: [
            CHAR_LM,
            CHAR_SAMPLE,
            TOPICS,
            chatbot("english", ["hello", "how are you", "what is your name"], "chatbot"),
        ],
        3: [
            'hello = seqlab.explain("hello", "rnn", hidden_size=4, seed=0)\nhello',
            "hello.generated",
        ],
        4: ['bot.translate("how are you", beam=5, n_best=3)'],
        5: [PARAMS],
        6: [WORD_VECTORS],
        7: [GRADIENTS],
        8: ['bot.translate("what is your name", beam=5, attention=True).attention'],
        9: [ATTENTION_HELLO],
    },
    "ko": {
        1: [
            explained_ko(
                "cell", 'seqlab.explain("안녕하세요", "lstm", hidden_size=4, seed=0, steps=0)'
            )
        ],
        2: [
            CHAR_LM,
            CHAR_SAMPLE,
            TOPICS,
            chatbot("korean", ["안녕하세요", "오늘 어때?", "너는 누구니?"], "chatbot_ko"),
        ],
        3: [
            explained_ko("hello", 'seqlab.explain("hello", "rnn", hidden_size=4, seed=0)'),
            "hello.generated",
            explained_ko("dada", 'seqlab.explain("다다익선", "rnn", hidden_size=4, seed=0)'),
            "dada.generated",
        ],
        4: ['bot.translate("오늘 어때?", beam=5, n_best=3)'],
        5: [PARAMS],
        6: [TOKENIZE_KO, WORD_VECTORS],
        7: [GRADIENTS],
        8: [
            'bot.translate("안녕하세요, 오늘은 기분이 어떤가요?", beam=5, attention=True)'
            '.attention.plot(lang="ko")'
        ],
        9: [
            explained_ko(
                "attention", 'seqlab.explain("hello", arch="transformer", hidden_size=4, seed=0)'
            )
        ],
    },
}

# the first Markdown cell after the tour's heading
INTRO = {
    "en": "The lecture step by step, calling seqlab from Python: the same sections as "
    "[docs/tour.md](../docs/tour.md), whose text this notebook shares, with small models that "
    "train here in a few minutes. Run it from the repository's `.venv` (`make test` executes it "
    "at a fiftieth of the steps; `SEQLAB_NOTEBOOK_SCALE` sets the scale). "
    "[한국어판: tour.ko.ipynb](tour.ko.ipynb).",
    "ko": "강의를 한 단계씩, 파이썬에서 seqlab을 불러 따라갑니다. "
    "[docs/tour.ko.md](../docs/tour.ko.md)와 같은 절, 같은 글이며, 모델은 여기서 몇 분 안에 "
    "학습하는 작은 것들입니다. 저장소의 `.venv`에서 실행하세요(`make test`는 스텝 수의 50분의 "
    "1로 실행합니다. 배율은 `SEQLAB_NOTEBOOK_SCALE`로 정합니다). "
    "[English: tour.en.ipynb](tour.en.ipynb).",
}

# what the notebook does differently from the tour it follows, per language and section
NOTES: dict[str, dict[int, str]] = {
    "en": {
        2: "In the notebook every model trains in a minute or two on text that ships with the "
        "packages: a character LM on Python's pydoc topics, a topic classifier and a chatbot on "
        "the chatterbot corpus (the tour's names generator and SMS classifier need the shared "
        "data sets).",
        6: "Here Word2Vec learns from gensim's small Lee corpus (67k words of news) in seconds, "
        "not from PTB, so its neighbours are rougher than the tour's.",
        7: "The bottleneck table of the tour compares three Multi30k translators trained for 20 "
        "minutes each; the notebook shows the gradients only, measured on the pydoc text.",
        8: "The chatbot's attention, from the model trained in section 2.",
        9: "The tour's Multi30k, tiny-shakespeare and bottleneck figures come from the "
        "benchmarks' runs of 4 to 20 minutes; the notebook walks one head of attention through "
        "hello.",
    },
    "ko": {
        2: "노트북에서는 모든 모델이 패키지에 들어 있는 글로 1~2분 안에 학습합니다: 파이썬 "
        "pydoc 도움말로 문자 언어 모델을, chatterbot 말뭉치로 주제 분류기와 한국어 챗봇을 "
        "학습합니다(투어의 이름 생성기와 SMS 분류기는 공유 데이터가 있어야 합니다).",
        6: "여기서는 Word2Vec이 PTB 대신 gensim에 들어 있는 작은 Lee 말뭉치(뉴스 6만 7천 단어)로 "
        "몇 초 만에 배우므로, 이웃 단어가 투어보다 거칩니다. sentencepiece 하위 단어 "
        "토큰화는 투어에 있습니다.",
        7: "투어의 병목 표는 20분씩 학습한 Multi30k 번역기 셋을 비교합니다. 노트북은 pydoc "
        "글에서 잰 기울기만 보여 줍니다.",
        8: "2절에서 학습한 한국어 챗봇의 어텐션입니다.",
        9: "투어의 Multi30k, tiny-shakespeare, 병목 결과는 4~20분짜리 벤치마크 실행에서 "
        "나옵니다. 노트북은 어텐션 헤드 하나가 hello를 읽는 과정을 숫자로 따라갑니다.",
    },
}
