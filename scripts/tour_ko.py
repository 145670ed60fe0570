"""The Korean tour's text (docs/tour.ko.md): its heading, labels and sections, in the shape of
make_tour.SECTIONS. make_tour.py runs the commands of both tours and writes both files, so a
command the two tours share prints the same output in each.

The terms are the lecture's own: 메모리 셀, 은닉 상태, 교사 강요, 문맥 벡터, 기울기 소실, 어텐션,
원-핫 인코딩, 워드 임베딩.
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

CHATBOT = "runs/tour/chatbot_ko"  # trained by the tour itself, in section 2
SENTENCE = "나는 오늘 기분이 짙은 구름처럼 늘어져 있다"  # the lecture's many-to-one example

HEADING = "seqlab 둘러보기: 강의를 따라서"
INTRO = (
    "각 절은 강의 노트(RNN 언어 모델 장)의 주제 하나를 골라, 그대로 따라 칠 수 있는 명령과 그 "
    "명령이 실제로 출력한 결과, 그리고 눈여겨볼 점을 보여 줍니다. 이 문서는 영어판과 함께 "
    "`python scripts/make_tour.py`가 만듭니다(`make demo`를 먼저 실행하세요). 두 판에 같은 "
    "명령이 나오면 출력도 한 번 실행한 같은 결과입니다. 예제는 되도록 한국어로 골랐습니다: "
    '"안녕하세요"의 수치 예제, 한국어 문장의 토큰화, 한국어 챗봇. 이 한국어 예제들만 한 번에 '
    "돌려 보려면 `make demo-ko`를 실행하세요(2코어 CPU에서 3분 30초쯤). "
    "[English: docs/tour.md](tour.md)."
)
LECTURE = "강의:"
NOTICE = "눈여겨볼 점:"

SECTIONS: list[tuple[str, str, list[tuple[str, int]], str]] = [
    (
        "1. 시퀀스 모델과 메모리 셀",
        "RNN은 x_1..x_t를 차례로 읽으면서 메모리 셀에 은닉 상태 h_t를 간직합니다. 모든 시점 "
        "t에서 같은 함수(같은 가중치)를 다시 부르기 때문에 순환(recurrent) 신경망이라고 "
        "부릅니다.",
        [("seqlab explain --cell lstm --text 안녕하세요 --hidden-size 4 --seed 0 --steps 0", 22)],
        "어휘는 음절 다섯 개이고, 각 음절은 원-핫 인코딩으로 들어갑니다(x_t에서 1은 하나뿐). "
        "LSTM 메모리 셀은 x_t와 h_{t-1}에서 계산하는 네 게이트(i, f, g, o)입니다. c_t가 기억을 "
        "나르고, h_t = o * tanh(c_t)가 다음 시점과 출력이 보는 은닉 상태입니다. 숫자는 "
        "seqlab이 방정식 그대로 쓴 셀을 fused 레이어의 파라미터로 돌린 값이며, 두 경로가 "
        "같다는 것(출력, 상태, 기울기가 float64에서 1e-5 이내)은 테스트가 보입니다. 입력은 "
        "NFC로 정규화되므로 자모로 풀어 쓴 '안녕하세요'도 같은 음절 다섯 개가 됩니다.",
    ),
    (
        "2. RNN의 유형",
        "일대다(이미지 하나에서 캡션 하나), 다대일(스팸인지 아닌지, 영화의 장르), "
        "다대다(문장의 단어마다 개체 이름 붙이기, 번역, 질문에 답하는 챗봇).",
        [
            ("seqlab generate runs/demo/char --prime 'The ' --length 160 --seed 3", 12),
            (
                "seqlab generate runs/bench/names --condition Korean --n 8 --temperature 0.8 "
                "--seed 1",
                10,
            ),
            ("seqlab predict runs/demo/topics --input runs/demo/questions.txt", 6),
            ("seqlab predict runs/classify/sms --input runs/tour/sms.txt", 6),
            (f"seqlab train configs/chatbot_ko.yaml --set out_dir={CHATBOT}", 14),
            (f"seqlab params {CHATBOT}", 18),
            (
                "printf '안녕하세요\\n오늘 어때?\\n안녕\\n너는 누구니?\\n무엇을 먹니?\\n' "
                f"| seqlab chat {CHATBOT} --beam 5",
                8,
            ),
        ],
        "생성은 출력 하나하나를 다음 입력으로 되먹입니다(프라임 하나나 조건 벡터 하나가 "
        "들어가고 시퀀스가 나옴). 분류기는 글 전체를 읽고 레이블 하나와 그 확률을 냅니다. "
        "다대다의 예는 chatterbot 말뭉치의 한국어 부분(19개 주제, 질문-답 696쌍)으로 학습한 "
        "한국어 챗봇입니다. 학습은 시간이 아니라 스텝 수(train.max_steps)로 끝나므로, 한가한 "
        "컴퓨터에서든 바쁜 컴퓨터에서든 같은 모델과 같은 답이 나옵니다. 크기는 `seqlab "
        "params`가 세고, 답은 입력 순서대로 한 줄에 하나씩입니다. 어휘는 단어(띄어쓰기와 "
        "문장 부호로 자른 어절) 단위이고, 4절의 인코더-디코더에 어텐션을 더한 모델입니다.",
    ),
    (
        '3. 수치 예제: "안녕하세요"',
        "h_t = tanh(W_x x_t + W_h h_{t-1} + b), y_t = softmax(W_y h_t). 강의의 'hello'는 입력 "
        "'hell', 정답 'ello'입니다. 여기서는 같은 방식으로 입력 '안녕하세', 정답 '녕하세요'를 "
        "씁니다. 학습 때는 정답을 입력으로 넣고(교사 강요), 테스트 때는 모델이 낸 출력을 다시 "
        "넣습니다.",
        [
            (
                "seqlab explain --cell rnn --text 안녕하세요 --hidden-size 4 --seed 0 "
                f"--plot {FIG}/hello_ko.png",
                200,
            )
        ],
        "학습 전에는 예측이 거의 고르게 퍼져 있습니다. Adam으로 100 스텝 학습한 뒤에는 네 "
        "예측이 '녕하세요'가 되고, '안'에서 시작해 자기 출력을 되먹이면 '안녕하세요'를 "
        "씁니다. W_x, W_h, b는 모든 시점 t에서 같은 값입니다. 그림의 각 열은 한 시점의 은닉 "
        "상태 h_t이며, 음절 레이블은 NanumGothic 글꼴로 그려집니다.",
    ),
    (
        "4. 시퀀스-투-시퀀스(seq2seq)",
        "인코더는 입력 문장 전체를 문맥 벡터 하나로 압축합니다. 디코더는 <sos>에서 시작해, "
        "학습 때는 정답 문장을 입력으로 받고(교사 강요) 테스트 때는 자기 출력을 받으며, "
        "<eos>에서 멈춥니다.",
        [
            (f"seqlab translate {CHATBOT} --beam 5 --n-best 3 '오늘 어때?'", 6),
            (f"seqlab evaluate {S2S_ATT} --src {M30K}/val.en.gz --ref {M30K}/val.fr.gz", 6),
            (f"seqlab translate {S2S_ATT} --beam 5 'A man in a blue shirt is riding a bike.'", 4),
        ],
        "빔 서치는 가장 좋은 부분 답 k개를 함께 들고 갑니다. `--n-best`는 차점 후보들을 "
        "점수(로그 확률)와 함께 보여 줍니다. 챗봇은 질문을, 번역기는 영어 문장을 입력으로 받는 "
        "같은 인코더-디코더입니다(Multi30k 영어→프랑스어). 빔 크기 1이 탐욕 디코딩과 같다는 "
        "것, 한 문장을 혼자 디코딩하든 32문장 배치 안에서 디코딩하든 같다는 것은 테스트가 "
        "보입니다.",
    ),
    (
        "5. 파라미터 수 계산",
        "embedding(5000,100) -> SimpleRNN(128) -> Dense(1)의 파라미터는 529,441개이고, 샘플 "
        "길이 30은 아무것도 바꾸지 않습니다. 가중치를 모든 시점에서 함께 쓰기 때문입니다.",
        PARAMS,
        "Keras는 게이트 블록마다 편향을 하나, PyTorch/cuDNN은 둘(b_ih, b_hh) 두므로 529,441 "
        "대 529,569가 됩니다. PyTorch 열은 seqlab이 같은 명세로 만든 모델의 "
        "sum(p.numel())과 테스트에서 대조됩니다. 메모리 셀 크기 128은 h_{t-1}과 h_t가 128차원 "
        "이라는 뜻이고, 그래서 W_h는 128×128입니다.",
    ),
    (
        "6. 토큰화와 워드 임베딩: 원-핫 인코딩 대 Word2Vec",
        "문장을 토큰으로 자른 뒤 각 토큰을 벡터로 바꿉니다. 원-핫 인코딩에서 'dog'는 10,000개 "
        "중 4번 자리의 1일 뿐 유사도를 담지 못합니다. Word2Vec은 dog가 cat 가까이에 놓이는 "
        "밀집 벡터(음수도 가능)를 줍니다.",
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
        "문자 토크나이저는 한글을 음절 단위로 자르고, 자모로 나누는 것은 설정이 요구할 때뿐입니다"
        "(`data.decompose_hangul: true`, 문자 토크나이저 전용). 단어 토크나이저는 띄어쓰기와 "
        "문장 부호로 어절을 자르는데, 한국어는 조사와 어미가 붙기 때문에 어절 어휘가 금방 "
        "커집니다. sentencepiece(unigram, bpe)는 말뭉치에서 배운 하위 단어로 그 사이를 "
        "메웁니다(▁는 띄어쓰기 자리). 서로 다른 두 단어의 원-핫 코사인은 언제나 0이지만, "
        "Word2Vec 코사인은 요일은 요일끼리, 금융 단어는 금융 단어끼리 묶습니다. PTB의 88만 7천 "
        "단어로 몇 초 만에 배운 결과이며, 유추와 WS-353 점수는 docs/benchmarks.md에 있습니다.",
    ),
    (
        "7. 두 가지 한계",
        "(1) 모든 정보를 고정된 크기의 벡터 하나로 압축하면 정보가 손실됩니다. (2) 시그모이드의 "
        "도함수는 0.25 이하(tanh는 1 이하)이고, 이 값이 시점마다 곱해지면서 기울기 소실이 "
        "일어납니다.",
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
        "t=99의 손실에서 첫 입력 x_0까지 닿는 기울기는 일반 RNN에서 x_99의 기울기보다 수십 자릿수 "
        "작습니다. 그 결과는 docs/benchmarks.md의 덧셈 문제에 나옵니다(일반 RNN은 T=50부터 "
        "자명한 기준선에 머물고, LSTM과 GRU는 T=200까지 MSE 0.01 미만). 병목 표는 어텐션이 "
        "없는 모델과 있는 모델 둘(Bahdanau, Luong)을 똑같이 CPU 20분씩 학습해, 같은 문장을 "
        "입력 길이별로 나누어 채점합니다. 문맥 벡터 하나에 기대는 모델(none)은 모든 길이에서 "
        "가장 낮고, 26단어 이상에서는 BLEU 4.6까지 떨어집니다.",
    ),
    (
        "8. 어텐션",
        "강의가 병목의 해법으로 꼽는 방법입니다. 디코더가 문맥 벡터 하나 대신 인코더의 모든 "
        "은닉 상태를 매 시점 다시 봅니다.",
        [
            (
                f"seqlab translate {S2S_ATT} --beam 5 --attention-plot {FIG}/attention.png "
                "'A little girl is climbing into a wooden playhouse.'",
                4,
            ),
            (
                f"seqlab translate {CHATBOT} --beam 5 --attention-plot {FIG}/attention_ko.png "
                "'안녕하세요, 오늘은 기분이 어떤가요?'",
                4,
            ),
        ],
        "히트맵의 각 행은 출력 토큰 하나가 입력 토큰들에 준 어텐션입니다. 패딩은 가려지므로 "
        "실제 토큰 위의 가중치를 더하면 1입니다. 번역기는 출력 단어마다 그 단어에 해당하는 "
        "입력 단어를 또렷하게 봅니다. 챗봇의 어텐션은 거의 고르게 퍼져 있는데, 답이 질문의 "
        "단어를 옮긴 것이 아니라 질문 전체에서 나오기 때문입니다(말뭉치의 이 질문에 대한 답이 "
        "'좋습니다'). 한글 레이블은 빈 상자 없이 그려집니다(koreanize-matplotlib 휠에 든 "
        "NanumGothic).",
    ),
    (
        "9. 트랜스포머: 순환 없이 어텐션만으로",
        '강의의 마지막 줄입니다. "문장이 너무 길어지면 과거의 정보들이 잊혀지기 때문에, 이를 '
        '해결하기 위해서 transformer 사용", "이 대안으로 LSTM 대신에 attention 이라는 중요한 '
        '알고리즘을 적용(transformer)".',
        TRANSFORMER,
        "셀프 어텐션은 상태를 간직하지 않습니다. 시점 t는 그 앞의 모든 위치 s <= t를 다시 "
        "봅니다(뒤쪽은 인과 마스크가 가립니다). 그래서 hello의 두 'l'은 h_{t-1}이 아니라 각자의 "
        "위치와 앞에서 찾은 글자로 구별됩니다. 어느 토큰에서 그 뒤의 어느 토큰까지도 어텐션 한 "
        "단계면 닿습니다. 기울기 표가 이를 숫자로 보여 줍니다. t=0과 t=99의 ||dL/dx_t|| 비율이 "
        "트랜스포머는 1e-2쯤이고, 순환 셀들은 1e-9에서 1e-30입니다(경사소실). 병목 표는 "
        "어텐션 없는 모델, Bahdanau, 트랜스포머를 똑같이 CPU 4분씩 학습한 결과입니다. "
        "트랜스포머에게는 너무 짧은 예산입니다. 워밍업 500스텝보다 적은 306스텝밖에 돌지 "
        "못했습니다. 마지막 줄은 벤치마크의 20분짜리 트랜스포머입니다. 같은 머신에서 같은 "
        "예산으로 잰 결과(docs/benchmarks.md)는 이렇습니다. Multi30k 영어->프랑스어, CPU 20분: "
        "트랜스포머(파라미터 590만 개)가 greedy BLEU 51.4, Bahdanau LSTM(570만 개)이 50.3입니다. "
        "tiny-shakespeare, CPU 15분: LSTM이 이깁니다(1.483 대 1.601 nats/글자). 창 안의 위치별 "
        "손실을 보면 트랜스포머는 문맥 10글자쯤부터 더 나아지지 않고, LSTM은 128글자까지 계속 "
        "나아집니다. PTB에서는 LSTM이 적응형(adaptive) 소프트맥스를 쓰는 데 비해 트랜스포머는 단어 "
        "1만 개 전체 소프트맥스를 써서, 학습 속도가 LSTM의 6분의 1에 그치고 퍼플렉서티 291 대 "
        "113에 머뭅니다. 이 크기, CPU 코어 두 개에서는 트랜스포머의 학습 속도가 LSTM의 "
        "0.71~0.86배이고, 배치 1 디코딩은 문장당 LSTM의 3분의 1 속도입니다. "
        "모든 위치를 한 번에 계산하는 장점은 넓은 하드웨어와 긴 시퀀스에서 나오며, 여기서는 "
        "나오지 않습니다.",
    ),
]
