"""The Korean tour's chatbot (section 2 of docs/tour.ko.md): the commands that train it, ask it
and measure it on questions it never saw, and what to notice in their output. tour_ko.py puts
them in its section 2; sections 4 and 8 ask the same run (CHATBOT).

MIN_SCORE is the fallback threshold that `python -m bench.chatbot_ko_heldout RUN --tune` chose
on the tune half of configs/data/chatbot_ko_heldout.tsv; the tour then reports the other half.
"""

from __future__ import annotations

import shlex

CHATBOT = "runs/tour/chatbot_ko"  # trained by the tour itself, in section 2
MIN_SCORE = "-1.7"
FALLBACK = "잘 모르겠어요."
QUESTIONS = ["안녕하세요", "오늘 어때?", "안녕", "너는 누구니?", "무엇을 먹니?"]
HELDOUT = f"python -m bench.chatbot_ko_heldout {CHATBOT} --min-score {MIN_SCORE}"
LINES = "".join(q + "\\n" for q in QUESTIONS)  # printf's escapes, written out

COMMANDS: list[tuple[str, int]] = [
    (f"seqlab train configs/chatbot_ko.yaml --set out_dir={CHATBOT}", 14),
    (f"seqlab params {CHATBOT}", 18),
    (
        f"printf '{LINES}' | seqlab chat {CHATBOT} --beam 5 "
        f"--min-score {MIN_SCORE} --fallback {shlex.quote(FALLBACK)}",
        8,
    ),
    (f"{HELDOUT} --ask {' '.join(map(shlex.quote, QUESTIONS))}", 8),
    (HELDOUT, 8),
]

NOTICE = (
    "다대다의 예는 한국어 챗봇입니다. chatterbot 말뭉치의 한국어 부분(19개 주제, 질문과 답 "
    "696쌍)으로 여기서 직접 학습합니다. 말뭉치는 '안녕하세요'에 세 가지로 답합니다. "
    "'안녕'(반말), '안녕 안 합니다'(인사가 아니라 농담), '안녕하세요, 오늘은 기분이 "
    "어떤가요?'입니다. 존댓말 인사에 존댓말 인사로 답하도록 앞의 두 쌍은 설정에서 "
    "뺐습니다(`data.exclude_pairs`, 출력의 '2 excluded as listed'). 학습은 시간이 아니라 스텝 "
    "수(train.max_steps)로 끝납니다. 그래서 컴퓨터가 한가하든 바쁘든 같은 모델이 나오고 같은 "
    "답을 합니다. 모델 크기는 `seqlab params`로 셉니다. 이 챗봇은 문장을 어절(띄어쓰기와 "
    "문장 부호로 자른 단위) 단위로 자릅니다. 구조는 4절에서 설명하는 인코더-디코더에 8절의 "
    "어텐션을 더한 것입니다. 학습 끝에 찍히는 BLEU는 학습에 쓴 질문 200개로 잰 값입니다. "
    "외운 정도를 보여 줄 뿐, 처음 보는 질문에 얼마나 잘 답하는지는 알려 주지 않습니다.\n\n"
    "`seqlab chat`은 질문 순서대로 한 줄에 하나씩 답합니다. 빔 서치 점수(4절)가 "
    f"{MIN_SCORE}보다 낮으면 모델의 답 대신 '{FALLBACK}'라고 답합니다(`--min-score`, "
    "`--fallback`). 다음 명령은 같은 질문에 답하고, 답마다 어디서 왔는지 표시합니다. "
    "띄어쓰기와 문장 부호는 빼고 글자만 비교합니다. [학습 쌍 그대로]는 질문과 답이 학습 "
    "데이터의 한 쌍과 똑같다는 뜻입니다. [학습 답 재사용]은 학습 데이터에 있는 답이지만 이 "
    "질문의 짝은 아니라는 뜻이고, [새 답]은 학습 데이터에 없는 답, [모름(대체 답)]은 "
    f"'{FALLBACK}'입니다. 괄호 안의 수는 빔 서치 점수입니다. 처음 세 답은 학습 쌍을 그대로 "
    "외운 것입니다. '너는 누구니?'와 '무엇을 먹니?'는 말뭉치에 없는 질문입니다. 앞의 것은 "
    "점수가 낮아 모른다고 답합니다. 뒤의 것은 점수가 임계값을 넘어, 다른 질문의 답을 그대로 "
    "가져옵니다.\n\n"
    "마지막 명령은 말뭉치에 없는 질문으로 잰 결과입니다. configs/data/chatbot_ko_heldout.tsv에 "
    "질문 54개를 따로 썼습니다. 36개는 학습 질문을 다른 말로 바꾼 것이고(예: '너의 이름은?' "
    "→ '이름이 뭐예요?'), 18개는 이 말뭉치로는 답할 수 없는 일상 질문입니다(예: '오늘 날씨 "
    "어때요?'). 띄어쓰기와 문장 부호를 빼고 비교해도 어느 질문도 말뭉치에 없다는 것은 "
    "테스트가 확인합니다. 질문은 두 묶음으로 나눴습니다. 한 묶음(tune) 27개로 임계값 "
    f"{MIN_SCORE}을 골랐습니다(`--tune`, 그래서 그 묶음의 결과는 조정에 쓴 값입니다). 출력은 "
    "다른 묶음(report) 27개의 결과입니다. 바꿔 말한 질문은 원래 질문의 답과 비교해 chrF(글자 "
    "n-그램 F 점수)와 BLEU를 재고, 원래 질문의 어느 답과든 chrF가 50 이상이면 '주제에 "
    "맞음(on topic)'으로 셉니다. 일상 질문에는 '잘 모르겠어요.'만 맞는 답으로 셉니다. 결과는 "
    "나쁩니다. 바꿔 말한 질문 18개 가운데 주제에 맞게 답한 것은 1개뿐입니다. 임계값이 없으면 "
    "27개 중 1개만 받아들일 만한 답이고, 임계값을 두면 일상 질문 9개 중 8개에 모른다고 답해 "
    "27개 중 9개가 됩니다. 그 대신 바꿔 말한 질문 14개에도 모른다고 답합니다. 이 챗봇은 외운 "
    "질문에만 답하고, 말을 조금만 바꿔도 알아듣지 못합니다. 질문과 답 696쌍은 그러기에 너무 "
    "작습니다. 입력을 sentencepiece unigram(6절)으로 잘라도 나아지지 않았습니다. 임계값 없이 "
    "바꿔 말한 질문 36개 중 5개에 주제에 맞게 답했지만(어절 단위는 2개), 그 답들의 점수가 "
    "일상 질문의 점수보다 낮아서 임계값을 두면 모두 '잘 모르겠어요.'가 됩니다. 몇 문제 "
    "차이일 뿐이라, 설명하기 쉬운 어절 단위를 그대로 둡니다.\n\n"
    "존댓말 질문에 존댓말로 답했는지는 어미로 가립니다. -요, -니다, -니까, -죠로 끝나면 "
    "존댓말, -어, -아, -니, -냐, -지, -다 등으로 끝나면 반말, 명사로 끝나면 모름입니다"
    "(bench/_korean_chat.py의 규칙). 보고 묶음의 존댓말 질문 19개 중 18개가 존댓말 답을 "
    "받았습니다. 그러나 대부분은 '잘 모르겠어요.'이고, 모델 자신의 답은 2개 중 1개만 "
    "존댓말입니다. 임계값이 없으면 19개 중 7개입니다. 이 규칙으로 말뭉치를 보면, 존댓말 "
    "질문에 반말로 답하는 쌍은 '안녕하세요' → '안녕' 하나입니다. 규칙은 세 쌍을 세지만, "
    "나머지 둘은 '문서', '더'로 끝나는 답을 반말로 잘못 읽은 것입니다. 이 쌍은 위에서 "
    "뺐습니다."
)
