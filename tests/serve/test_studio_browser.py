"""The studio at ``/`` in a real browser: headless Chromium, driven through Selenium, against a
live server with the tiny runs. Each panel shows what the API answers, the page reacts to the
pointer and the keyboard, errors land beside the input that caused them, and the page fits a
phone's width. One browser serves the whole module; every wait polls a condition.

Screenshots of every panel (desktop width) and of the page at 375 px are written under the
test's temporary directory (``studio-shots``) for a person to look at.

Without Chromium or chromedriver these tests skip, except where the environment variable CI is
set: there a missing browser fails them (``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from seqlab.analysis.explain import explain
from seqlab.cli import main
from seqlab.serve.app import create_app
from seqlab.serve.registry import load_registry

REPO = Path(__file__).resolve().parents[2]
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DESKTOP = (1280, 900)
WAIT_S = 30


def _which_browser() -> tuple[str | None, str | None, str]:
    """(browser, driver, what is missing: "" when both are there)."""
    browser = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    missing = " and ".join(n for n, p in (("chromium", browser), ("chromedriver", driver)) if not p)
    return browser, driver, missing


BINARY, DRIVER, MISSING = _which_browser()
NEEDS = f"the studio tests need {MISSING} (apt-get install chromium chromium-driver)"
if MISSING and not os.environ.get("CI"):
    pytest.skip(NEEDS, allow_module_level=True)


@pytest.fixture(scope="module")
def url(loaded, serving) -> Iterator[str]:
    """The studio's server, with every tiny run loaded."""
    with serving(create_app(dict(loaded))) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the module."""
    if MISSING:  # only where CI is set: elsewhere the module was skipped
        pytest.fail(f"{NEEDS}; CI is set, so a missing browser is a failure", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = BINARY
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--lang=en-US",
        "--force-device-scale-factor=1",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("studio-shots")


@pytest.fixture
def page(browser, url) -> webdriver.Chrome:
    """The studio freshly loaded at desktop size, its panels built and the explainer shown."""
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.get(f"{url}/")
    wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".explain .phase"))
    return browser


# ------------------------------------------------------------------ helpers


def wait(driver, condition: Callable, timeout: float = WAIT_S):
    """Poll condition until it is truthy; an element the page replaced meanwhile is retried."""
    stale = (StaleElementReferenceException,)
    return WebDriverWait(driver, timeout, 0.02, ignored_exceptions=stale).until(condition)


def panel(driver, model: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f'section.panel[data-model="{model}"]')


def control(section: WebElement, name: str) -> WebElement:
    return section.find_element(By.CSS_SELECTOR, f'[name="{name}"]')


def type_into(element: WebElement, text: str, enter: bool = False) -> None:
    element.clear()
    element.send_keys(text + (Keys.ENTER if enter else ""))


def error_beside(driver, element: WebElement) -> str:
    """The text of the error slot a control points at (aria-describedby), once it shows."""
    slot = driver.find_element(By.ID, element.get_attribute("aria-describedby"))
    wait(driver, lambda d: slot.is_displayed() and slot.text)
    assert slot.find_element(By.XPATH, "..") == element.find_element(By.XPATH, "..")
    return slot.text


def api(url: str, route: str, **body) -> dict:
    reply = httpx.post(f"{url}/v1/{route}", json=body, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def fits_the_width(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def shoot(element: WebElement, path: Path) -> None:
    """A screenshot of one element, whole even where it is taller than the window."""
    box = element.parent.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};",
        element,
    )
    _capture(element.parent, path, box)


def shoot_page(driver, path: Path) -> None:
    """The whole page, beyond the window."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    _capture(driver, path, {"x": 0, "y": 0, "width": size["width"], "height": size["height"]})


def _capture(driver, path: Path, box: dict) -> None:
    """The DevTools protocol's own screenshot of a region of the page, in CSS pixels."""
    options = {"format": "png", "captureBeyondViewport": True, "clip": box | {"scale": 1}}
    path.write_bytes(
        base64.b64decode(driver.execute_cdp_cmd("Page.captureScreenshot", options)["data"])
    )
    assert path.stat().st_size > 1000


# ------------------------------------------------------------------ translate


def test_translate_shows_the_output_nbest_and_a_heatmap(page, url, pairs, shots):
    section = panel(page, "s2s")
    source = pairs[0][0]
    type_into(control(section, "beam"), "4")
    type_into(control(section, "inputs"), source, enter=True)
    result = wait(page, lambda d: section.find_elements(By.CSS_SELECTOR, ".result .text"))[0]
    want = api(
        url, "translate", model="s2s", inputs=[source], beam=4, n_best=3, return_attention=True
    )["outputs"][0]
    assert result.text == want["text"] == pairs[0][1]
    nbest = section.find_elements(By.CSS_SELECTOR, ".nbest .text")
    assert [h.text for h in nbest] == [h["text"] for h in want["n_best"]]

    src, tgt, weights = want["src_tokens"], want["tgt_tokens"], want["attention"]
    cells = section.find_elements(By.CSS_SELECTOR, "table.attention td")
    assert len(cells) == len(src) * len(tgt)
    columns = section.find_elements(By.CSS_SELECTOR, "table.attention th.src")
    rows = section.find_elements(By.CSS_SELECTOR, "table.attention th.tgt")
    assert [c.text for c in columns] == src and [r.text for r in rows] == tgt
    readout = section.find_element(By.CSS_SELECTOR, ".readout")

    # pointing at a cell: its row and column light up and its weight is read out
    row, col = 1, 2
    cell = section.find_element(By.CSS_SELECTOR, f'td[data-row="{row}"][data-col="{col}"]')
    ActionChains(page).move_to_element(cell).perform()
    wait(page, lambda d: "active" in cell.get_attribute("class"))
    assert f"{weights[row][col]:.3f}" in readout.text
    assert "active" in columns[col].get_attribute("class")

    # pointing at a row label: the source token it attends to most is outlined
    def lights(row: int) -> None:
        best = max(range(len(src)), key=lambda j: weights[row][j])
        wait(page, lambda d: "top" in columns[best].get_attribute("class"))
        assert all("lit" in c.get_attribute("class") for c in columns)
        assert readout.text.startswith(f"\u201c{tgt[row]}\u201d attends to: {src[best]}")

    ActionChains(page).move_to_element(rows[0]).perform()
    lights(0)
    shoot(section, shots / "translate.png")

    # the same from the keyboard: Tab from the Translate button reaches the first row label
    ActionChains(page).move_to_element(page.find_element(By.TAG_NAME, "h1")).perform()
    wait(page, lambda d: not section.find_elements(By.CSS_SELECTOR, ".top"))
    button = section.find_element(By.CSS_SELECTOR, "button[type=submit]")
    page.execute_script("arguments[0].focus()", button)
    button.send_keys(Keys.TAB)
    assert page.switch_to.active_element == rows[0]
    lights(0)


# ------------------------------------------------------------------ a Transformer's heads


@pytest.fixture(scope="module")
def transformer_url(loaded, transformers, serving) -> Iterator[str]:
    """The studio with the tiny runs and two tiny trained Transformers ("tlm", "ts2s")."""
    with serving(create_app({**loaded, **transformers})) as base:
        yield base


def studio(browser, url: str) -> webdriver.Chrome:
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.get(f"{url}/")
    wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    return browser


def shown_head(section: WebElement, want: dict, layer: int, head: int) -> None:
    """The heatmap shows ``want``'s head: its labels on both axes, its weights in the cells."""
    figure = section.find_element(By.CSS_SELECTOR, ".attention-maps .head-map")
    assert (figure.get_attribute("data-layer"), figure.get_attribute("data-head")) == (
        str(layer),
        str(head),
    )
    text = "return [...arguments[0].querySelectorAll(arguments[1])].map(n => n.textContent)"
    assert section.parent.execute_script(text, figure, "th.src") == visible(want["keys"])
    assert section.parent.execute_script(text, figure, "th.tgt") == visible(want["queries"])
    cells = section.parent.execute_script(
        "return [...arguments[0].querySelectorAll('td')].map(n => Number(n.dataset.weight))",
        figure,
    )
    weights = want["weights"][layer][head]
    assert cells == pytest.approx([w for row in weights for w in row], abs=1e-6)


def visible(tokens: list[str]) -> list[str]:
    """Token labels as the page shows them: spaces as ␣, newlines as ⏎."""
    return [t.replace(" ", "\u2423").replace("\n", "\u23ce") for t in tokens]


def pick(driver, section: WebElement, kind: int, layer: int, head: int) -> None:
    for name, value in (("kind", kind), ("layer", layer), ("head", head)):
        Select(control(section, name)).select_by_value(str(value))
    figure = section.find_element(By.CSS_SELECTOR, ".attention-maps .head-map")
    wait(driver, lambda d: figure.get_attribute("data-head") == str(head))


def test_a_transformer_translation_shows_every_head_of_three_kinds(
    browser, transformer_url, pairs, shots
):
    page = studio(browser, transformer_url)
    assert not panel(page, "s2s").find_elements(By.CSS_SELECTOR, ".attention-maps")  # an RNN
    section = panel(page, "ts2s")
    facts = section.find_element(By.CSS_SELECTOR, ".facts").text
    assert facts.startswith("Transformer (2 layers, 2 heads), ")
    source = pairs[1][0]
    type_into(control(section, "inputs"), source, enter=True)
    maps = section.find_element(By.CSS_SELECTOR, ".attention-maps")
    wait(page, lambda d: maps.get_attribute("data-state") == "done")
    shown = section.find_element(By.CSS_SELECTOR, ".result .text").text
    body = {"model": "ts2s", "text": source, "target": shown, "truncate": True}
    want = api(transformer_url, "attention", **body)["maps"]
    kinds = [o.text for o in Select(control(section, "kind")).options]
    assert kinds == [
        "Source self-attention (encoder)",
        "Target self-attention (decoder)",
        "Cross-attention (target over source)",
    ]
    assert len(Select(control(section, "layer")).options) == len(want[0]["weights"]) == 2
    assert len(Select(control(section, "head")).options) == len(want[0]["weights"][0]) == 2
    shown_head(section, want[0], 0, 0)  # the first kind, layer and head at first
    for kind in range(3):
        for layer, head in ((0, 1), (1, 0), (1, 1)):
            pick(page, section, kind, layer, head)
            shown_head(section, want[kind], layer, head)
    caption = section.find_element(By.CSS_SELECTOR, ".head-map figcaption").text
    assert caption.startswith("Cross-attention (target over source), layer 2 of 2, head 2 of 2")
    corner = section.find_element(By.CSS_SELECTOR, ".head-map th.corner").text
    assert corner == "target ↓ source →"
    assert not section.find_elements(By.CSS_SELECTOR, ".attention-maps .note")  # nothing cut
    shoot(section, shots / "attention-heads-seq2seq.png")


def test_a_transformer_lm_shows_its_causal_heads_over_prime_and_sample(
    browser, transformer_url, shots
):
    page = studio(browser, transformer_url)
    section = panel(page, "tlm")
    for name, value in (("max_tokens", 12), ("temperature", 0)):
        type_into(control(section, name), str(value))
    type_into(control(section, "prime"), "the ", enter=True)
    maps = section.find_element(By.CSS_SELECTOR, ".attention-maps")
    wait(page, lambda d: maps.get_attribute("data-state") == "done")
    sample = section.find_element(By.CSS_SELECTOR, ".sample").get_attribute("textContent")
    assert sample.startswith("the ") and len(sample) == 4 + 12  # a character model
    (want,) = api(transformer_url, "attention", model="tlm", text=sample, truncate=True)["maps"]
    assert want["kind"] == "self" and "".join(want["queries"]) == sample
    assert [o.text for o in Select(control(section, "kind")).options] == ["Self-attention (causal)"]
    for layer, head in ((0, 0), (1, 1)):
        pick(page, section, 0, layer, head)
        shown_head(section, want, layer, head)
    future = section.find_elements(By.CSS_SELECTOR, ".head-map td")
    above = [
        c for c in future if int(c.get_attribute("data-col")) > int(c.get_attribute("data-row"))
    ]
    assert above and all(float(c.get_attribute("data-weight")) == 0 for c in above)
    shoot(section, shots / "attention-heads-lm.png")

    page.execute_cdp_cmd(  # the heads fit a phone's width too (the table scrolls inside)
        "Emulation.setDeviceMetricsOverride",
        {"width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": True},
    )
    wait(page, lambda d: d.execute_script("return window.innerWidth") == 375)
    assert fits_the_width(page)
    page.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# ------------------------------------------------------------------ generate


OBSERVE = """
// record the sample's text every time the page changes it, while the stream comes in
const [output, seen] = [arguments[0], (window.seenTexts = [])];
new MutationObserver(() => {
  const sample = output.querySelector('[data-sample="0"]');
  if (sample) seen.push(sample.textContent);
}).observe(output, {childList: true, subtree: true, characterData: true});
"""


def test_generation_streams_in(page, url, shots):
    section = panel(page, "lm")
    settings = {"max_tokens": 600, "temperature": 0.9, "top_k": 20, "top_p": 0.95, "seed": 7}
    for name, value in settings.items():
        type_into(control(section, name), str(value))
    output = section.find_element(By.CSS_SELECTOR, ".output")
    page.execute_script(OBSERVE, output)
    type_into(control(section, "prime"), "the ", enter=True)

    polled, deadline = [], time.monotonic() + WAIT_S  # what Selenium reads while it streams
    while (state := output.get_attribute("data-state")) != "done":
        assert state in ("idle", "streaming") and time.monotonic() < deadline, state
        samples = output.find_elements(By.CSS_SELECTOR, ".sample")
        if samples:
            polled.append(page.execute_script("return arguments[0].textContent", samples[0]))
    final = output.find_element(By.CSS_SELECTOR, ".sample").get_attribute("textContent")
    want = api(url, "generate", model="lm", prime="the ", n=1, **settings)["outputs"][0]
    assert final == want and len(want) > 100

    seen = [t for t in page.execute_script("return window.seenTexts") if t]
    growing = [t for i, t in enumerate(seen) if i == 0 or t != seen[i - 1]]
    assert len(growing) >= 3, growing  # at least two texts before the last one
    assert all(len(a) < len(b) and b.startswith(a) for a, b in zip(growing, growing[1:]))
    assert growing[-1] == want
    # Selenium's own reads, in order, grow too (how many it catches depends on the machine's
    # speed; test_a_piece_shows_while_generation_is_held proves a piece shows mid-stream)
    assert all(want.startswith(t) for t in polled) and polled == sorted(polled, key=len)
    shoot(section, shots / "generate-lm.png")


def test_a_piece_shows_while_generation_is_held_and_stop_ends_it(
    browser, app_factory, serving, Hold, hold_streams
):
    """The server holds the generation after its first piece: the page shows that piece while
    held (a page or server that buffered would show nothing), and Stop ends the stream there."""
    hold = Hold()
    with serving(hold_streams(app_factory(), "lm", hold)) as base:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.get(f"{base}/")
        wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
        section = panel(browser, "lm")
        type_into(control(section, "max_tokens"), "500")
        stop = section.find_element(By.CSS_SELECTOR, "button.stop")
        assert not stop.is_displayed()
        type_into(control(section, "prime"), "the ", enter=True)
        output = section.find_element(By.CSS_SELECTOR, ".output")
        sample = wait(browser, lambda d: output.find_elements(By.CSS_SELECTOR, ".sample"))[0]
        wait(browser, lambda d: sample.get_attribute("textContent") == "the ")
        assert not hold.gate.is_set() and output.get_attribute("data-state") == "streaming"
        assert stop.is_displayed()
        stop.click()
        wait(browser, lambda d: output.get_attribute("data-state") == "stopped")
        hold.release()
        assert sample.get_attribute("textContent") == "the " and not stop.is_displayed()
        assert not [e for e in section.find_elements(By.CSS_SELECTOR, ".error") if e.is_displayed()]
    assert hold.held is True


def test_conditional_generation_with_a_condition_and_n(page, url, shots):
    section = panel(page, "names")
    type_into(control(section, "temperature"), "0")
    type_into(control(section, "max_tokens"), "12")
    type_into(control(section, "n"), "2")
    condition = control(section, "condition")
    condition.send_keys("Zz")  # typing picks an option; Enter submits from the select too
    wait(page, lambda d: Select(condition).first_selected_option.text == "Zz")
    condition.send_keys(Keys.ENTER)
    output = section.find_element(By.CSS_SELECTOR, ".output")
    wait(page, lambda d: output.get_attribute("data-state") == "done")
    texts = [s.get_attribute("textContent") for s in output.find_elements(By.CSS_SELECTOR, "pre")]
    body = {"model": "names", "condition": "Zz", "temperature": 0, "max_tokens": 12, "n": 2}
    assert texts == api(url, "generate", **body)["outputs"]
    shoot(section, shots / "generate-condgen.png")


# ------------------------------------------------------------------ classify and tag


def test_classify_bars_add_up_to_one(page, url, shots):
    section = panel(page, "sentiment")
    text = "good great 좋아요"
    type_into(control(section, "inputs"), text, enter=True)
    bars = wait(page, lambda d: section.find_elements(By.CSS_SELECTOR, ".bars li"))
    want = api(url, "classify", model="sentiment", inputs=[text])["outputs"][0]
    shown = {
        b.get_attribute("data-label"): float(b.get_attribute("data-probability")) for b in bars
    }
    assert shown == pytest.approx(want["probabilities"])
    assert sum(shown.values()) == pytest.approx(1, abs=1e-6)  # float32 softmax
    widths = page.execute_script(
        "return [...arguments[0].querySelectorAll('.bars li')].map(li =>"
        " li.querySelector('.fill').getBoundingClientRect().width /"
        " li.querySelector('.track').getBoundingClientRect().width)",
        section,
    )
    assert sum(widths) == pytest.approx(1, abs=0.01)
    assert section.find_element(By.CSS_SELECTOR, ".result .text").text == want["label"] == "pos"
    assert section.find_element(By.CSS_SELECTOR, ".echo-text").text == text  # Hangul intact
    shoot(section, shots / "classify.png")


def test_tag_marks_each_span_in_its_type_colour(page, url, shots):
    section = panel(page, "ner")
    text = "Anna visited Paris ."
    type_into(control(section, "inputs"), text, enter=True)
    marks = wait(page, lambda d: section.find_elements(By.CSS_SELECTOR, "mark.entity"))
    want = api(url, "tag", model="ner", inputs=[text])["outputs"][0]["spans"]
    got = [
        (m.get_attribute("data-type"), m.find_element(By.CSS_SELECTOR, ".entity-text").text)
        for m in marks
    ]
    assert got == [(s["type"], s["text"]) for s in want] == [("PER", "Anna"), ("LOC", "Paris")]
    assert section.find_element(By.CSS_SELECTOR, ".tagged").text.startswith("Anna")
    legend = {
        li.text: li.find_element(By.CSS_SELECTOR, ".swatch").value_of_css_property(
            "background-color"
        )
        for li in section.find_elements(By.CSS_SELECTOR, ".legend li")
    }
    assert set(legend) == {"LOC", "PER"} and legend["LOC"] != legend["PER"]
    for mark in marks:
        assert (
            mark.value_of_css_property("background-color")
            == legend[mark.get_attribute("data-type")]
        )
    shoot(section, shots / "tag.png")


# ------------------------------------------------------------------ explain


def shown_vector(section: WebElement, phase: str, term: str) -> list[float]:
    cells = section.find_elements(
        By.CSS_SELECTOR, f'[data-phase="{phase}"] tr[data-term="{term}"] td'
    )
    return [float(c.get_attribute("data-value")) for c in cells]


def test_explain_steps_to_t3_with_the_cli_numbers(page, shots):
    section = page.find_element(By.CSS_SELECTOR, "section.explain")
    Select(control(section, "cell")).select_by_value("gru")  # a new cell explains at once
    wait(page, lambda d: "GRU" in section.find_element(By.CSS_SELECTOR, ".equations").text)
    assert "(1 − z) ⊙ n + z ⊙ h" in section.find_element(By.CSS_SELECTOR, ".equations").text
    stepper = section.find_element(By.CSS_SELECTOR, ".stepper")
    stepper.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    wait(page, lambda d: stepper.get_attribute("data-t") == "3")  # the last step: it stops
    label = section.find_element(By.CSS_SELECTOR, ".t-label").text
    assert label.startswith("t = 3 of 3: input ‘l’, target ‘o’")

    want = explain(text="hello", cell="gru", hidden_size=4, seed=0, steps=100, lr=0.05)
    for phase in ("before", "after"):
        record = want[phase][3]
        assert shown_vector(section, phase, "h") == pytest.approx(record["h"], abs=1e-12)
        assert shown_vector(section, phase, "z") == pytest.approx(record["terms"]["z"])
        assert shown_vector(section, phase, "y") == pytest.approx(record["probs"])
    assert shown_vector(section, "after", "h_prev") == pytest.approx(want["after"][2]["h"])
    assert section.find_element(By.CSS_SELECTOR, ".generated").text == want["generation"]["text"]
    shoot(section, shots / "explain-gru.png")

    stepper.send_keys(Keys.HOME)
    wait(page, lambda d: stepper.get_attribute("data-t") == "0")
    section.find_element(By.CSS_SELECTOR, ".next").click()
    wait(page, lambda d: stepper.get_attribute("data-t") == "1")


def test_explain_reads_hangul(page, shots):
    section = page.find_element(By.CSS_SELECTOR, "section.explain")
    word = "안녕하세요"
    type_into(control(section, "text"), word, enter=True)
    stepper = section.find_element(By.CSS_SELECTOR, ".stepper")

    def steps(driver) -> list[str]:
        return [b.text for b in stepper.find_elements(By.CSS_SELECTOR, ".char")]

    wait(page, lambda d: steps(d) == list(word[:-1]))
    stepper.send_keys(Keys.ARROW_RIGHT)
    wait(page, lambda d: stepper.get_attribute("data-t") == "1")
    vocab = [th.text for th in section.find_elements(By.CSS_SELECTOR, ".x th.vocab")]
    assert vocab == sorted(set(word))
    assert "input ‘녕’, target ‘하’" in section.find_element(By.CSS_SELECTOR, ".t-label").text
    x = section.find_elements(By.CSS_SELECTOR, 'tr[data-term="x"] td')
    assert [float(c.get_attribute("data-value")) for c in x] == [v == "녕" for v in vocab]
    shoot(section, shots / "explain-hangul.png")


# ------------------------------------------------------------------ Korean chatbot

KOREAN_PAIRS = {
    "안녕하세요": "안녕하세요, 오늘은 기분이 어떤가요?",
    "오늘 어때?": "하늘은 파랗고 전 잘지내고 있어요.",
}


@pytest.fixture(scope="module")
def korean_url(loaded, serving, tmp_path_factory) -> Iterator[str]:
    """The studio serving, besides the tiny runs, configs/chatbot_ko.yaml overfit on two of
    the Korean corpus's greetings (model name "ko")."""
    root = tmp_path_factory.mktemp("ko")
    pairs = root / "pairs.tsv"
    pairs.write_text("".join(f"{q}\t{a}\n" for q, a in KOREAN_PAIRS.items()) * 8, "utf-8")
    sets = [f"out_dir={root / 'run'}", f"data.train={pairs}", "data.bleu_sentences=2"]
    sets += ["model.embedding_dim=32", "model.hidden_size=48", "model.dropout=0.0"]
    sets += ["train.batch_size=8", "train.max_steps=100", "train.lr=0.01", "train.eval_every=100"]
    main(
        [
            "train",
            str(REPO / "configs" / "chatbot_ko.yaml"),
            *[a for s in sets for a in ("--set", s)],
        ]
    )
    models = {**loaded, **load_registry([f"ko={root / 'run'}"], "cpu")}
    with serving(create_app(models)) as base:
        yield base


def test_a_korean_chatbot_reads_and_answers_hangul(browser, korean_url, shots):
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.get(f"{korean_url}/")
    wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    section = panel(browser, "ko")
    question = "오늘 어때?"
    type_into(control(section, "inputs"), question, enter=True)
    result = wait(browser, lambda d: section.find_elements(By.CSS_SELECTOR, ".result .text"))[0]
    want = api(korean_url, "translate", model="ko", inputs=[question], return_attention=True)
    want = want["outputs"][0]
    assert result.text == want["text"] == KOREAN_PAIRS[question]
    columns = section.find_elements(By.CSS_SELECTOR, "table.attention th.src")
    rows = section.find_elements(By.CSS_SELECTOR, "table.attention th.tgt")
    assert [c.text for c in columns] == want["src_tokens"] and "어때" in want["src_tokens"]
    assert [r.text for r in rows] == want["tgt_tokens"] and "파랗고" in want["tgt_tokens"]
    shoot(section, shots / "translate-korean.png")


@pytest.fixture(scope="module")
def chatbot_url(loaded, serving, tmp_path_factory) -> Iterator[str]:
    """A server with a (barely trained) chatbot: a seq2seq run on the chatterbot corpus."""
    root = tmp_path_factory.mktemp("chatbot")
    sets = [f"out_dir={root / 'run'}", "data.bleu_sentences=2", "model.embedding_dim=8"]
    sets += ["model.hidden_size=8", "train.max_steps=2", "train.eval_every=2", "train.threads=1"]
    main(
        ["train", str(REPO / "configs" / "chatbot.yaml"), *[a for s in sets for a in ("--set", s)]]
    )
    with serving(create_app(load_registry([f"bot={root / 'run'}"], "cpu"))) as base:
        yield base


def test_a_chatbot_panel_says_message_and_reply_and_keeps_the_conversation(
    browser, chatbot_url, shots
):
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.get(f"{chatbot_url}/")
    wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    section = panel(browser, "bot")
    message = control(section, "inputs")
    label = section.find_element(By.CSS_SELECTOR, f'label[for="{message.get_attribute("id")}"]')
    button = section.find_element(By.CSS_SELECTOR, "button[type=submit]")
    assert (label.text, button.text) == ("Message", "Reply")
    said = ["hello", "what is your name"]
    for i, text in enumerate(said):
        type_into(message, text, enter=True)
        wait(
            browser,
            lambda d, n=i + 1: len(section.find_elements(By.CSS_SELECTOR, ".turn.reply")) == n,
        )
    replies = [
        api(chatbot_url, "chat", model="bot", inputs=[t])["outputs"][0]["text"] for t in said
    ]
    turns = section.find_elements(By.CSS_SELECTOR, ".conversation .turn")
    got = [
        (t.find_element(By.CLASS_NAME, "who").text, t.find_element(By.CLASS_NAME, "said").text)
        for t in turns
    ]
    want = [
        pair
        for text, reply in zip(said, replies)
        for pair in (("you", text), ("bot", reply or "∅"))
    ]
    assert got == want
    shoot(section, shots / "chatbot.png")


# ------------------------------------------------------------------ errors, key, phone


def test_errors_show_beside_the_input_that_caused_them(page):
    classify = panel(page, "sentiment")
    box = control(classify, "inputs")
    page.execute_script("arguments[0].value = 'a '.repeat(1 << 20)", box)  # a 2 MiB paste
    box.send_keys(Keys.ENTER)
    assert "request body over 1,048,576 bytes (HTTP 413)" in error_beside(page, box)
    assert box.get_attribute("aria-invalid") == "true"

    translate = panel(page, "s2s")
    sentence = control(translate, "inputs")
    type_into(sentence, "a " * 60, enter=True)
    assert error_beside(page, sentence).startswith("inputs.0: 60 tokens, over the model's limit")
    type_into(control(translate, "beam"), "2")
    type_into(control(translate, "n_best"), "3")
    type_into(sentence, "a b c", enter=True)
    assert "n_best: must be at most beam (2)" in error_beside(page, control(translate, "n_best"))
    assert not sentence.get_attribute("aria-invalid")  # the earlier error was cleared

    lm = panel(page, "lm")  # a streamed request whose error comes as an event, not a status
    prime = control(lm, "prime")
    type_into(prime, "안녕", enter=True)
    assert "prime: character(s) '녕안' are not in this model's vocabulary" in error_beside(
        page, prime
    )


def test_the_page_asks_once_for_an_api_key(browser, loaded, serving):
    with serving(create_app(dict(loaded), api_key="s3cret")) as base:
        browser.get(f"{base}/")
        key = wait(browser, lambda d: d.find_element(By.ID, "api-key"))
        wait(browser, lambda d: key.is_displayed())
        assert browser.switch_to.active_element == key
        key.send_keys("s3cret", Keys.ENTER)
        wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
        section = panel(browser, "sentiment")
        type_into(control(section, "inputs"), "awful bad", enter=True)
        result = wait(browser, lambda d: section.find_elements(By.CSS_SELECTOR, ".result .text"))
        assert result[0].text == "neg" and not key.is_displayed()
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".explain .phase"))


def test_the_page_fits_a_phone(page, shots):
    page.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": True},
    )
    page.refresh()
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".explain .phase"))
    wait(page, lambda d: d.execute_script("return window.innerWidth") == 375)
    section = panel(page, "s2s")
    type_into(control(section, "inputs"), "a b c", enter=True)
    wait(page, lambda d: section.find_elements(By.CSS_SELECTOR, "table.attention"))
    for model, text in (("sentiment", "good"), ("ner", "Anna visited Paris .")):
        box = control(panel(page, model), "inputs")
        type_into(box, text, enter=True)
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "mark.entity"))
    assert fits_the_width(page)
    shoot_page(page, shots / "phone-375.png")
    page.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
