"""The Korean tour's text (docs/tour.ko.md): its heading, labels, sections and glossary, in the
shape of make_tour.SECTIONS. make_tour.py runs the commands of both tours and writes both files,
so a command the two tours share prints the same output in each.

It is written for Korean students reading it beside the lecture note, not translated sentence by
sentence: 합니다체, short sentences, each technical word explained where it first appears. The
terms are the lecture's own first, with the other usual names after them: 메모리 셀, hidden
state(숨겨진 상태, 은닉 상태), 컨텍스트 벡터(문맥 벡터), 경사소실(기울기 소실), 원-핫 인코딩,
워드 임베딩, 어텐션. The lecture does not name teacher forcing: it says the target is fed in
training and the prediction at test time, so the tour says that first and then names it
교사 강요. GLOSSARY maps each term to its English name and to seqlab's name in code and configs.
"""

from __future__ import annotations

from tour_commands import (
    FIG,
    M30K,
    PARAMS,
    S2S_ATT,
    S2S_LUONG,
    S2S_NONE,
    TRANSFORMER,
    WORD_VECTORS,
)
from tour_ko_chatbot import CHATBOT  # trained by the tour itself, in section 2
from tour_ko_chatbot import COMMANDS as CHATBOT_COMMANDS
from tour_ko_chatbot import NOTICE as CHATBOT_NOTICE

SENTENCE = "나는 오늘 기분이 짙은 구름처럼 늘어져 있다"  # the lecture's many-to-one example

HEADING = "seqlab 둘러보기: 강의를 따라서"
INTRO = (
    "강의 노트의 RNN 언어 모델 장을 주제별로 따라가며, seqlab으로 직접 확인해 봅니다. 각 절은 "
    "강의 내용 한 가지를 요약하고, 그대로 따라 칠 수 있는 명령과 그 명령의 실제 출력을 보인 "
    "뒤, 출력에서 무엇을 보아야 하는지 설명합니다. 이 문서는 영어판과 함께 "
    "`python scripts/make_tour.py`로 만듭니다. 먼저 `make demo`를 실행해 두세요. 2, 4, 6, 7, "
    "8, 9절의 명령은 `../shared/data`의 공개 데이터셋(그 폴더의 README 참고)이나 `make demo`가 "
    "만들지 않는 학습 결과(Multi30k 번역 모델, SMS 분류기, 성씨 생성기)도 읽습니다. 이 학습 "
    "결과는 `make tour-runs`가 그 데이터로 만들어 줍니다. 2코어 CPU에서 두 시간쯤 걸립니다. "
    "두 판에 같은 "
    "명령이 있으면 한 번 실행한 결과를 두 판에 함께 싣습니다. 예제는 되도록 한국어로 "
    "골랐습니다. LSTM 셀에는 '안녕하세요'를, 수치 예제에는 강의의 'hello'와 함께 '다다익선'을 "
    "넣고, 한국어 문장을 토큰으로 자르고, 한국어 챗봇을 학습합니다. `make demo-ko`를 실행하면 "
    "한국어 예제(토큰화, '안녕하세요' 수치 예제, 챗봇)를 한 번에 돌려 볼 수 있습니다. 2코어 "
    "CPU에서 3분 30초쯤 걸립니다. 용어는 강의에 나온 말을 먼저 쓰고, 처음 나올 때 뜻을 "
    "풀었습니다. 용어와 영어 이름, seqlab 코드와 설정에서 쓰는 이름은 맨 끝의 "
    "[용어집](#용어집)에 모았습니다. [English: docs/tour.md](tour.md)."
)
LECTURE = "강의:"
NOTICE = "눈여겨볼 점:"

SECTIONS: list[tuple[str, str, list[tuple[str, int]], str]] = [
    (
        "1. 시퀀스 모델과 메모리 셀",
        "RNN은 입력 x_1, x_2, ..., x_t를 순서대로 읽습니다. 읽은 내용은 메모리 셀에 "
        "남는데, 메모리 셀이 가진 이 값을 hidden state(숨겨진 상태, 은닉 상태) h_t라고 "
        "부릅니다. 모든 시점 t에서 같은 함수, 같은 가중치를 다시 부릅니다. 그래서 순환"
        "(recurrent) 신경망이라고 합니다.",
        [("seqlab explain --cell lstm --text 안녕하세요 --hidden-size 4 --seed 0 --steps 0", 22)],
        "'안녕하세요'에는 서로 다른 음절이 다섯 개 있습니다. 각 음절은 원-핫 인코딩(one-hot "
        "encoding)으로 들어갑니다. 원-핫 인코딩은 자기 자리에만 1이 있고 나머지는 모두 0인 "
        "벡터입니다. LSTM 메모리 셀은 x_t와 h_{t-1}로 네 가지 값을 계산합니다. i(입력 게이트), "
        "f(망각 게이트), o(출력 게이트)는 0과 1 사이의 값으로 얼마나 통과시킬지 정하는 "
        "게이트입니다. g는 게이트가 아니라 셀에 새로 쓸 후보 값입니다. 셀 상태 c_t = f*c_{t-1} + "
        "i*g가 기억을 이어 가고, h_t = o * tanh(c_t)가 다음 시점과 출력으로 넘어가는 hidden "
        "state입니다. 출력의 숫자는 방정식을 그대로 옮긴 seqlab의 셀로 계산했습니다. 이때 "
        "가중치는 PyTorch의 nn.LSTM(모든 시점을 한 번에 계산하도록 최적화한 레이어, 출력의 "
        "'fused')이 가진 값을 그대로 씁니다. 두 계산이 같은 출력, 상태, 기울기를 낸다는 것은 "
        "테스트가 확인합니다(float64에서 차이 1e-5 이내). 입력은 NFC로 정규화하므로, 자모로 풀어 "
        "쓴 '안녕하세요'를 넣어도 같은 다섯 음절이 됩니다.",
    ),
    (
        "2. RNN의 유형",
        "입력과 출력의 길이는 목적에 따라 정합니다. 일대다(one-to-many)는 입력 하나에서 "
        "시퀀스를 만듭니다. 이미지 하나를 보고 설명 문장을 쓰는 모델이 그 예입니다. "
        "다대일(many-to-one)은 시퀀스 전체를 읽고 답 하나를 냅니다. 메일이 스팸인지 "
        "아닌지, 영화가 어떤 장르인지 판단하는 모델이 그 예입니다. 다대다(many-to-many)는 "
        "시퀀스를 읽고 시퀀스를 냅니다. 문장의 단어마다 개체 이름을 붙이는 모델, 번역기, "
        "질문에 답하는 챗봇이 그 예입니다.",
        [
            ("seqlab generate runs/demo/char --prime 'The ' --length 160 --seed 3", 12),
            (
                "seqlab generate runs/bench/names --condition Korean --n 8 --temperature 0.8 "
                "--seed 1",
                10,
            ),
            ("seqlab predict runs/demo/topics --input runs/demo/questions.txt", 6),
            ("seqlab predict runs/classify/sms --input runs/tour/sms.txt", 6),
            *CHATBOT_COMMANDS,
        ],
        "처음 두 명령은 일대다입니다. 모델이 낸 글자를 다음 입력으로 다시 넣으며 글을 "
        "이어 씁니다. 첫 명령은 시작 글자 'The '(--prime)를 받고, 둘째 명령은 "
        "'Korean'(한국 이름)이라는 조건 하나를 받아 이름을 만듭니다. 분류기 두 개는 "
        "다대일입니다. 글 전체를 읽고 레이블 "
        "하나와 그 확률을 냅니다. " + CHATBOT_NOTICE,
    ),
    (
        "3. 수치 예제: hello와 다다익선",
        "hidden layer(은닉층)는 h_t = tanh(W_x x_t + W_h h_{t-1} + b)이고, output "
        "layer(출력층)는 y_t = softmax(W_y h_t)입니다. 강의의 예에서 입력은 'hell', "
        "정답(target)은 'ello'입니다. "
        "학습할 때는 모델이 틀린 글자를 내더라도 다음 입력으로 정답 글자를 넣습니다. "
        "테스트할 때는 정답이 없으므로 모델이 낸 글자를 다음 입력으로 넣습니다. 학습 때 "
        "정답을 넣는 이 방식을 교사 강요(teacher forcing)라고 부릅니다.",
        [
            (
                f"seqlab explain --cell rnn --text hello --hidden-size 4 --seed 0 "
                f"--plot {FIG}/hello.png",
                200,
            ),
            (
                "seqlab explain --cell rnn --text 다다익선 --hidden-size 4 --seed 0 "
                f"--plot {FIG}/dadaikseon.png --plot-lang ko",
                200,
            ),
        ],
        "학습 전에는 예측 확률이 거의 고르게 퍼져 있습니다. Adam으로 100 스텝 학습하면 네 "
        "예측이 'ello'가 됩니다. 테스트 모드에서 'h'부터 자기 출력을 다시 넣으면 'hello'를 "
        "씁니다. W_x, W_h, b는 모든 시점 t에서 같은 값입니다. 이 예의 요점은 'l'입니다. "
        "'l'은 두 번 나오는데, t=2에서는 다음 글자가 'l'이고 t=3에서는 'o'입니다. 두 시점의 "
        "입력이 같으므로 W_x·x_t도 똑같습니다. 두 시점을 구별해 주는 것은 W_h·h_{t-1}, 곧 "
        "앞에서 읽은 내용을 담은 hidden state뿐입니다. 메모리 셀이 필요한 까닭이 여기에 "
        "있습니다. '다다익선'도 마찬가지입니다. '다' 다음에 처음에는 '다', 그다음에는 '익'이 "
        "옵니다. 출력에서 t=0과 t=1의 W_x·x_t는 같고 W_h·h_{t-1}만 다릅니다. 그림의 각 열은 한 "
        "시점의 hidden state h_t입니다. --plot-lang ko를 준 다다익선 그림은 제목과 축 이름도 "
        "한국어입니다. 한글은 NanumGothic 글꼴로 그립니다.",
    ),
    (
        "4. 시퀀스-투-시퀀스(seq2seq)",
        "인코더는 입력 문장을 한 단어씩 읽어, 그 정보를 벡터 하나로 압축합니다. 이 벡터가 "
        "컨텍스트 벡터(문맥 벡터, context vector)입니다. 디코더는 <sos>(문장 시작 토큰)에서 "
        "출발해 한 단어씩 출력하고, <eos>(문장 끝 토큰)을 내면 멈춥니다. 3절과 마찬가지로 "
        "학습할 때는 정답 문장의 단어를 다음 입력으로 넣고(교사 강요), 테스트할 때는 디코더가 "
        "낸 단어를 넣습니다.",
        [
            (f"seqlab translate {CHATBOT} --beam 5 --n-best 3 '오늘 어때?'", 6),
            (f"seqlab evaluate {S2S_ATT} --src {M30K}/val.en.gz --ref {M30K}/val.fr.gz", 6),
            (f"seqlab translate {S2S_ATT} --beam 5 'A man in a blue shirt is riding a bike.'", 4),
        ],
        "디코더가 매 단계 가장 확률이 높은 단어 하나만 고르는 방식을 탐욕(greedy) 디코딩이라고 "
        "합니다. 빔 서치(beam search)는 매 단계 점수가 높은 후보 문장 k개(빔 크기, 여기서는 "
        "5)를 남겨 두고 끝까지 비교합니다. `--n-best 3`은 마지막에 남은 후보 가운데 상위 세 "
        "개를 점수와 함께 보여 줍니다. 이 점수는 로그 확률 그 자체가 아닙니다. 긴 답일수록 "
        "로그 확률이 작아지므로, 로그 확률의 합을 길이 벌점((5 + 길이) / 6)^0.6으로 나눈 "
        "값입니다(`--length-penalty gnmt`, 기본값). 첫 명령은 2절에서 학습한 한국어 챗봇이고, "
        "나머지 두 명령은 Multi30k 영어→프랑스어 번역기입니다. 둘은 같은 종류의 "
        "인코더-디코더이지만, 설정도 데이터도 다르게 따로 학습한 별개의 모델입니다. 빔 크기 "
        "1이 탐욕 디코딩과 같은 결과를 낸다는 것, 한 문장을 혼자 디코딩하든 32문장 배치에 "
        "섞어 디코딩하든 결과가 같다는 것은 테스트가 확인합니다.",
    ),
    (
        "5. 파라미터 수 계산",
        "embedding(5000,100) -> SimpleRNN(128) -> Dense(1) 모델의 파라미터는 529,441개입니다. "
        "훈련 샘플의 길이를 모두 30으로 잡아도 이 수는 변하지 않습니다. 모든 시점이 같은 "
        "가중치를 쓰기 때문입니다.",
        PARAMS,
        "Keras는 게이트 묶음마다 편향(bias)을 하나 두고, PyTorch와 cuDNN은 두 개(b_ih, "
        "b_hh)를 둡니다. 그래서 Keras는 529,441개, PyTorch는 529,569개입니다. PyTorch 열의 "
        "숫자는 seqlab이 같은 명세로 만든 모델의 sum(p.numel())과 같은지 테스트로 확인합니다. "
        "메모리 셀의 크기가 128이라는 말은 h_{t-1}과 h_t가 128차원이라는 뜻입니다. 그래서 "
        "W_h는 128×128입니다.",
    ),
    (
        "6. 토큰화와 워드 임베딩: 원-핫 인코딩과 Word2Vec",
        "모델에 문장을 넣으려면 먼저 문장을 토큰(단어나 글자 같은 단위)으로 자릅니다. 이것이 "
        "토큰화(tokenizing)입니다. 그다음 각 토큰을 숫자 벡터로 바꿉니다. 이것이 워드 "
        "임베딩(word embedding)입니다. 가장 단순한 방법은 원-핫 인코딩입니다. 단어 10,000개 "
        "중 'dog'가 4번이면, 4번 자리만 1이고 나머지 9,999자리는 0입니다. 이 벡터로는 두 "
        "단어가 얼마나 비슷한지 나타낼 수 없습니다. Word2Vec은 단어마다 짧은 실수 벡터(음수도 "
        "가능)를 학습해, dog와 cat처럼 비슷한 단어를 가까이 놓습니다.",
        [
            (f"seqlab tokenize --tokenizer char '{SENTENCE}'", 4),
            (f"seqlab tokenize --tokenizer char --decompose-hangul '{SENTENCE}'", 4),
            (f"seqlab tokenize --tokenizer word '{SENTENCE}'", 4),
            (
                "seqlab tokenize --tokenizer unigram --train chatterbot:korean --vocab-size 2000 "
                f"'{SENTENCE}'",
                4,
            ),
            *WORD_VECTORS,
        ],
        "문자 토크나이저는 한글을 음절 단위로 자릅니다. 자모로 나누는 것은 설정에서 요구할 "
        "때뿐입니다(`data.decompose_hangul: true`, 문자 토크나이저에서만). 단어 토크나이저는 "
        "띄어쓰기와 문장 부호로 어절을 자릅니다. 한국어는 어절에 조사와 어미가 붙으므로, 어절 "
        "단위 어휘는 금방 커집니다. sentencepiece(unigram, bpe)는 말뭉치에서 배운 하위 "
        "단어(어절보다 작은 조각)로 자릅니다. 음절과 어절의 중간쯤입니다. ▁ 표시는 그 앞이 "
        "띄어쓰기라는 뜻입니다. 두 단어가 얼마나 비슷한지는 벡터 사이의 코사인 유사도로 "
        "잽니다. 서로 다른 두 단어의 원-핫 벡터는 코사인이 언제나 0입니다. Word2Vec 벡터에서는 "
        "요일은 요일끼리, 금융 단어는 금융 단어끼리 모입니다. 이 벡터는 PTB 말뭉치로 몇 초 "
        "만에 배웠습니다. 출력의 918,461은 말뭉치를 한 번 읽을 때의 토큰 수입니다. PTB의 "
        "887,521단어 가운데 일부('s, a.m. 같은 것)를 seqlab의 단어 토크나이저가 더 잘게 "
        "자르기 때문에 단어 수보다 많습니다. 학습은 이 말뭉치를 5번(--epochs 5) 읽습니다. "
        "유추 문제와 WS-353 점수는 docs/benchmarks.md에 있습니다.",
    ),
    (
        "7. RNN 언어 모델의 두 가지 한계",
        "첫째, 모든 정보를 고정된 크기의 벡터 하나로 압축하면 정보가 손실됩니다. 둘째, "
        "경사소실(기울기 소실, vanishing gradient) 문제입니다. 역전파할 때 시점마다 활성 "
        "함수의 도함수가 곱해집니다. 시그모이드의 도함수는 최대 0.25(tanh는 최대 1)이므로, "
        "곱할수록 기울기가 0에 가까워져 앞쪽 가중치가 학습되지 않습니다.",
        [
            (
                "seqlab diagnose gradients --cells rnn,lstm,gru --length 100 --train-steps 300 "
                f"--plot {FIG}/tour_gradients.png",
                24,
            ),
            (
                f"seqlab diagnose bottleneck {S2S_NONE} {S2S_ATT} {S2S_LUONG} "
                f"--src {M30K}/val.en.gz --ref {M30K}/val.fr.gz --plot {FIG}/bottleneck.png",
                10,
            ),
        ],
        "첫 표는 마지막 시점 t=99의 손실에서 각 입력 x_t까지 거꾸로 전해진 기울기의 크기입니다. "
        "일반 RNN에서 첫 입력 x_0에 닿는 기울기는 x_99에 닿는 기울기보다 수십 자릿수 작습니다. "
        "이것이 경사소실입니다. 그 결과는 docs/benchmarks.md의 덧셈 문제(긴 수열에서 표시된 두 "
        "수의 합을 맞히는 과제)에 나옵니다. 일반 RNN은 T=50부터 아무것도 배우지 못한 수준(자명한 "
        "기준선)에 머물고, LSTM과 GRU는 T=200까지 평균 제곱 오차(MSE)가 0.01 미만입니다. 둘째 "
        "표는 첫째 한계, 곧 병목을 보여 줍니다. 어텐션이 없는 번역기 하나와 어텐션이 있는 번역기 "
        "둘(Bahdanau, Luong)을 각각 20분씩 학습하고, 같은 문장을 입력 길이별로 나누어 "
        "BLEU(번역 품질 점수, 높을수록 좋음)로 채점했습니다. 여기 나온 모델들은 다른 일도 하던 "
        "컴퓨터에서 둘씩 함께, 한 스레드로 학습해서 스텝 수가 서로 다릅니다(none 2,179, "
        "Bahdanau 1,227, Luong 2,996. `make tour-runs`는 하나씩 두 스레드로 학습합니다). "
        "컨텍스트 벡터 하나에만 기대는 모델(none)이 모든 길이에서 가장 낮고, 26단어 이상에서는 "
        "BLEU 2.5까지 떨어집니다.",
    ),
    (
        "8. 어텐션",
        "강의가 병목의 해법으로 꼽는 방법입니다. 디코더는 컨텍스트 벡터 하나만 보는 대신, 출력 "
        "단어를 하나 낼 때마다 인코더의 모든 hidden state를 다시 봅니다. 그리고 그 가운데 "
        "어디에 얼마나 주목할지(어텐션, attention) 가중치로 정합니다.",
        [
            (
                f"seqlab translate {S2S_ATT} --beam 5 --attention-plot {FIG}/attention.png "
                "'A little girl is climbing into a wooden playhouse.'",
                4,
            ),
            (
                f"seqlab translate {CHATBOT} --beam 5 --attention-plot {FIG}/attention_ko.png "
                "--plot-lang ko '안녕하세요, 오늘은 기분이 어떤가요?'",
                4,
            ),
        ],
        "히트맵(값을 색으로 칠한 표)의 각 행은 출력 토큰 하나가 입력 토큰들에 준 어텐션 "
        "가중치입니다. 패딩(길이를 맞추려고 채운 빈 토큰)은 가리므로, 실제 토큰 위의 가중치를 "
        "더하면 1입니다. 번역기는 출력 단어마다 그에 해당하는 입력 단어에 뚜렷하게 "
        "주목합니다. 챗봇의 어텐션은 거의 고르게 퍼져 있습니다. 그 까닭은 이 투어에서 "
        "확인하지 않았습니다. 답이 질문의 단어를 옮기는 것이 아니라 질문 전체에서 나오기 "
        "때문일 수도 있고, 작은 말뭉치로 짧게 학습한 탓일 수도 있습니다. 한글 레이블은 빈 "
        "상자 없이 그려집니다(koreanize-matplotlib 휠에 든 NanumGothic 글꼴). --plot-lang ko를 "
        "준 챗봇 그림은 제목과 축 이름도 한국어입니다. 두 히트맵의 색 눈금은 0에서 1까지가 "
        "아니라 그림 안의 가장 작은 가중치에서 가장 큰 가중치까지이고, 가중치의 중앙값이 "
        "가운데 색에 오도록 휘어 있습니다. 그래서 작은 차이도 다른 색으로 보이고, 고르게 퍼진 "
        "챗봇의 어텐션도 색은 뚜렷하게 갈립니다. 실제 크기는 색 막대의 눈금으로 읽고, 토큰이 "
        "15개 이하인 그림에서는 칸마다 적힌 가중치로도 읽습니다.",
    ),
    (
        "9. 트랜스포머: 순환 없이 어텐션만으로",
        '강의의 마지막 줄입니다. "문장이 너무 길어지면 과거의 정보들이 잊혀지기 때문에, 이를 '
        '해결하기 위해서 transformer 사용", "이 대안으로 LSTM 대신에 attention 이라는 중요한 '
        '알고리즘을 적용(transformer)".',
        TRANSFORMER,
        "트랜스포머는 셀프 어텐션(self-attention)으로 문장을 읽습니다. 셀프 어텐션은 문장이 자기 "
        "자신의 다른 위치에 주목하는 어텐션입니다. hidden state를 시점에서 시점으로 넘기지 "
        "않습니다. 시점 t는 자기 앞의 모든 위치 s <= t를 직접 봅니다. 뒤쪽 위치는 인과 "
        "마스크(causal mask)가 가려서 보지 못합니다. 그래서 hello의 두 'l'은 h_{t-1}이 아니라 "
        "각자의 위치와 앞에서 찾은 글자로 구별됩니다. 어느 토큰에서 그 뒤의 어느 토큰까지든 "
        "어텐션 한 단계면 닿습니다. 기울기 표가 이를 숫자로 보여 줍니다. t=0과 t=99의 ||dL/dx_t|| "
        "비율이 트랜스포머는 1e-2쯤이고, 순환 셀들은 1e-9에서 1e-30입니다(경사소실). 병목 표의 "
        "처음 세 줄은 어텐션 없는 모델, Bahdanau, 트랜스포머를 똑같이 CPU 4분씩 학습한 "
        "결과입니다. 트랜스포머에게는 너무 짧은 시간입니다. 트랜스포머는 처음 500스텝 동안 "
        "학습률을 서서히 올리는데(워밍업), 306스텝밖에 돌지 못했습니다. 마지막 줄은 벤치마크에서 "
        "20분 학습한 트랜스포머입니다. 같은 머신에서 같은 시간을 들여 잰 "
        "결과(docs/benchmarks.md)는 다음과 같습니다. Multi30k 영어→프랑스어, CPU 20분에서는 "
        "트랜스포머(파라미터 590만 개)가 탐욕 디코딩 BLEU 51.4, Bahdanau LSTM(570만 개)이 "
        "50.3입니다. tiny-shakespeare, CPU 15분에서는 LSTM이 이깁니다. 글자당 손실이 1.483 대 "
        "1.601 nats(자연로그로 잰 손실)입니다. 모델이 한 번에 읽는 범위(창) 안에서 위치별 손실을 "
        "보면, 트랜스포머는 앞 글자 10개쯤부터 더 나아지지 않고 LSTM은 128글자까지 계속 "
        "나아집니다. PTB에서 LSTM은 적응형(adaptive) 소프트맥스를 쓰고, 트랜스포머는 단어 1만 개 "
        "전체에 소프트맥스를 씁니다. 이 조건에서 트랜스포머는 초당 학습 토큰 수가 LSTM의 6분의 "
        "1이었고, 퍼플렉서티(낮을수록 좋음)는 291로 LSTM의 113보다 높았습니다. 이 크기의 모델을 "
        "CPU 코어 두 개로 돌리면, 트랜스포머의 학습 속도는 LSTM의 0.71~0.86배이고 배치 1 디코딩은 "
        "문장당 LSTM의 3분의 1 속도입니다. 모든 위치를 한꺼번에 계산하는 장점은 병렬 연산 장치가 "
        "많은 하드웨어와 긴 시퀀스에서 드러나고, 여기서는 드러나지 않습니다.",
    ),
]

# the glossary at the end of the tour: (Korean term, English name, seqlab's name in code and
# configs); the names are the config fields of src/seqlab/config.py and the tasks' configs
GLOSSARY_TITLE = "용어집"
GLOSSARY_INTRO = (
    "강의와 이 문서에 나오는 용어입니다. 괄호 안은 같은 뜻으로 쓰는 다른 이름입니다. seqlab "
    "열은 설정 파일(configs/*.yaml)의 항목이나 명령의 옵션 이름입니다."
)
GLOSSARY_HEADER = ("용어", "영어", "seqlab")
GLOSSARY: list[tuple[str, str, str]] = [
    ("메모리 셀", "memory cell", "`model.cell: rnn | lstm | gru`"),
    ("hidden state(숨겨진 상태, 은닉 상태)", "hidden state", "크기: `model.hidden_size`"),
    ("층 수(쌓은 RNN 층)", "number of layers", "`model.num_layers`"),
    ("가중치, 편향", "weight, bias", "`seqlab params`가 셉니다"),
    (
        "LSTM 게이트(입력 i, 망각 f, 출력 o)와 후보 값 g",
        "LSTM gates, candidate",
        "`seqlab explain --cell lstm`",
    ),
    ("토큰화", "tokenizing", "`data.tokenizer: char | word | bpe | unigram`"),
    (
        "원-핫 인코딩",
        "one-hot encoding",
        "`model.embedding.kind: one_hot` (`task: lm`, `classify`, `tag`)",
    ),
    (
        "워드 임베딩",
        "word embedding",
        "크기: `model.embedding_dim`; `model.embedding.kind: learned | pretrained`",
    ),
    ("Word2Vec", "Word2Vec", "`seqlab embed train`"),
    ("교사 강요", "teacher forcing", "`model.teacher_forcing` (1.0: 언제나 정답을 넣음)"),
    ("인코더, 디코더", "encoder, decoder", "`task: seq2seq`"),
    (
        "컨텍스트 벡터(문맥 벡터)",
        "context vector",
        "`model.attention: none`이면 이것 하나만 씁니다",
    ),
    ("어텐션", "attention", "`model.attention: bahdanau | luong`"),
    ("빔 서치, 빔 크기", "beam search, beam size", "`--beam 5`, `--n-best`"),
    ("길이 벌점", "length penalty", "`--length-penalty gnmt`, `--alpha 0.6`"),
    ("탐욕 디코딩", "greedy decoding", "`--beam 1`"),
    ("시간 역전파(자르는 길이)", "truncated BPTT", "`data.bptt` (언어 모델)"),
    ("경사소실(기울기 소실)", "vanishing gradient", "`seqlab diagnose gradients`"),
    ("기울기 자르기", "gradient clipping", "`train.clip_grad_norm`"),
    ("트랜스포머, 셀프 어텐션", "Transformer, self-attention", "`model.arch: transformer`"),
]


def glossary() -> str:
    """The glossary as a Markdown section: a heading, a line, and a table (a ``|`` inside a cell
    escaped, so that it does not end the cell)."""

    def row(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    table = [row(GLOSSARY_HEADER), "|---|---|---|", *map(row, GLOSSARY)]
    return "\n".join([f"## {GLOSSARY_TITLE}", "", GLOSSARY_INTRO, "", *table])
