// explain.js: the numeric walk-through of `seqlab explain`, one time step at a time. A tiny
// one-layer RNN, LSTM or GRU learns to continue a short word ("hello": input "hell", target
// "ello", characters one-hot); for the chosen t the page shows x_t, every term of the cell's
// equations, h_t and y_t, before and after training, as numbers on coloured cells. It needs
// no trained run: POST /v1/explain builds and trains the model on the spot.

import { post } from "./api.js";
import { diverging, el, field, numberInput, panel, panelForm, sequential, signed } from "./dom.js";

/**
 * "W_x·x_t + h_{t−1}" -> a <span> with the subscripts as <sub>: the equations are written as
 * text, the way the lecture writes them, and typeset with HTML alone.
 */
function math(text, className = "math") {
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(/_\{([^}]*)\}|_(.)/g)) {
    nodes.push(text.slice(at, match.index), el("sub", {}, match[1] ?? match[2]));
    at = match.index + match[0].length;
  }
  nodes.push(text.slice(at));
  return el("span", { class: className }, nodes);
}

// The lecture's equations per cell, each with what it does; y_t is the same for all three.
const OUTPUT = ["y_t = softmax(W_y·h_t + b_y)", "a distribution over the next character"];
const EQUATIONS = {
  rnn: [
    ["h_t = tanh(W_x·x_t + W_h·h_{t−1} + b)", "the new state mixes the input and the old one"],
    OUTPUT,
  ],
  lstm: [
    ["i = σ(W_{xi}·x_t + W_{hi}·h_{t−1} + b_i)", "input gate: how much new content to write"],
    ["f = σ(W_{xf}·x_t + W_{hf}·h_{t−1} + b_f)", "forget gate: how much old memory to keep"],
    ["g = tanh(W_{xg}·x_t + W_{hg}·h_{t−1} + b_g)", "candidate content"],
    ["o = σ(W_{xo}·x_t + W_{ho}·h_{t−1} + b_o)", "output gate: how much memory to show"],
    ["c_t = f ⊙ c_{t−1} + i ⊙ g", "the cell state: kept memory plus written content"],
    ["h_t = o ⊙ tanh(c_t)", "the hidden state"],
    OUTPUT,
  ],
  gru: [
    [
      "r = σ(W_{xr}·x_t + W_{hr}·h_{t−1} + b_r)",
      "reset gate: how much old state the candidate sees",
    ],
    ["z = σ(W_{xz}·x_t + W_{hz}·h_{t−1} + b_z)", "update gate: how much old state to keep"],
    ["n = tanh(W_{xn}·x_t + b_{xn} + r ⊙ (W_{hn}·h_{t−1} + b_{hn}))", "candidate state"],
    ["h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}", "the new state: a blend of candidate and old"],
    OUTPUT,
  ],
};

// Rows shown for each cell, in the order of its equations: [key in the record, symbol, what it
// is, colour scale]. Gates come out of a sigmoid, in (0, 1); the other terms are signed.
const TERMS = {
  rnn: [
    ["wx", "W_x·x_t", "", diverging],
    ["wh", "W_h·h_{t−1}", "", diverging],
    ["b", "b", "", diverging],
  ],
  lstm: [
    ["i", "i", "input gate", sequential],
    ["f", "f", "forget gate", sequential],
    ["g", "g", "candidate", diverging],
    ["o", "o", "output gate", sequential],
    ["c", "c_t", "= f⊙c_{t−1} + i⊙g", diverging],
  ],
  gru: [
    ["r", "r", "reset gate", sequential],
    ["z", "z", "update gate", sequential],
    ["n", "n", "candidate", diverging],
  ],
};

/** The Explain panel: its form, the equations, a stepper over t and the view of one step. */
export function explainPanel() {
  const state = { result: null, t: 0 };
  const equations = el("div", { class: "equations", "aria-label": "equations of the cell" });
  const stepper = el("div", {
    class: "stepper",
    role: "group",
    "aria-label": "time step",
    tabindex: 0,
  });
  const step = el("div", { class: "step" });
  const summary = el("div", { class: "summary" });
  const view = { state, equations, stepper, step, summary };
  const cell = el(
    "select",
    { name: "cell" },
    ["rnn", "lstm", "gru"].map((c) => el("option", { value: c }, c.toUpperCase())),
  );
  const { form } = panelForm({
    fields: [
      field(
        "Word to learn (2–32 characters)",
        el("input", { name: "text", type: "text", value: "hello", autocomplete: "off" }),
        { wide: true },
      ),
      field("Cell", cell),
      field("Hidden size", numberInput("hidden_size", { minimum: 1, maximum: 16 }, { value: 4 })),
      field("Seed", numberInput("seed", { minimum: 0, maximum: 2 ** 31 - 1 }, { value: 0 })),
      field("Training steps", numberInput("steps", { minimum: 0, maximum: 500 }, { value: 100 })),
    ],
    main: "text",
    submitLabel: "Explain",
    onSubmit: async (values) => {
      state.result = await post("v1/explain", values);
      state.t = 0;
      showResult(view);
    },
  });
  cell.addEventListener("change", () => form.requestSubmit());
  const section = panel(
    {
      title: "Explain",
      kind: "inside one cell",
      facts:
        "A tiny one-layer network learns to continue a word; step through t with the buttons " +
        "or the ← → keys.",
      className: "explain",
    },
    form,
    el("div", { class: "walkthrough", hidden: true }, equations, stepper, step, summary),
  );
  section.addEventListener("keydown", (event) => stepByKey(view, event));
  queueMicrotask(() => form.requestSubmit()); // show "hello" on an RNN straight away
  return section;
}

/** Arrow keys move t (Home and End jump to the ends), except while typing in a control. */
function stepByKey(view, event) {
  if (!view.state.result || event.target.closest("input, select, textarea")) return;
  const last = view.state.result.before.length - 1;
  const moves = { ArrowLeft: view.state.t - 1, ArrowRight: view.state.t + 1, Home: 0, End: last };
  if (!(event.key in moves)) return;
  event.preventDefault();
  goTo(view, Math.max(0, Math.min(last, moves[event.key])));
}

/** A new answer: its equations, a stepper with one button per input character, step 0. */
function showResult(view) {
  const { result } = view.state;
  const cell = result.config.cell;
  view.equations.replaceChildren(
    el("h3", {}, `${cell.toUpperCase()} cell`),
    el(
      "ul",
      {},
      EQUATIONS[cell].map(([eq, what]) =>
        el("li", {}, math(eq), el("span", { class: "what" }, what)),
      ),
    ),
  );
  const inputs = result.before.map((r) => r.input);
  view.stepper.replaceChildren(
    el(
      "button",
      { type: "button", class: "prev", onclick: () => goTo(view, view.state.t - 1) },
      "← previous",
    ),
    el(
      "span",
      { class: "chars" },
      inputs.map((ch, t) =>
        el(
          "button",
          {
            type: "button",
            class: "char",
            "aria-label": `t = ${t}, input ${ch}`,
            dataset: { t },
            onclick: () => goTo(view, t),
          },
          ch,
        ),
      ),
    ),
    el(
      "button",
      { type: "button", class: "next", onclick: () => goTo(view, view.state.t + 1) },
      "next →",
    ),
    el("p", { class: "t-label", "aria-live": "polite" }),
  );
  view.summary.replaceChildren(...summary(result));
  view.step.closest(".walkthrough").hidden = false;
  goTo(view, 0);
}

/** Show step t (clamped to the input's length). */
function goTo(view, t) {
  const { result } = view.state;
  const last = result.before.length - 1;
  view.state.t = Math.max(0, Math.min(last, t));
  t = view.state.t;
  const record = result.before[t];
  view.stepper.dataset.t = t;
  for (const button of view.stepper.querySelectorAll(".char")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.t) === t));
  }
  // aria-disabled, not disabled: a disabled button would drop the keyboard focus on it
  view.stepper.querySelector(".prev").setAttribute("aria-disabled", String(t === 0));
  view.stepper.querySelector(".next").setAttribute("aria-disabled", String(t === last));
  view.stepper.querySelector(".t-label").textContent =
    `t = ${t} of ${last}: input ‘${record.input}’, target ‘${record.target}’`;
  view.step.replaceChildren(
    oneHot(result.vocab, record),
    el("div", { class: "phases" }, phase("before", result, t), phase("after", result, t)),
  );
}

/** x_t: the input character as a one-hot row over the vocabulary. */
function oneHot(vocab, record) {
  const label = [math("x_t"), ` one-hot ‘${record.input}’`];
  return vocabTable(
    vocab,
    null,
    "x",
    label,
    record.x.map((v) => numberCell(v, sequential, 0)),
  );
}

/**
 * A row of cells under the vocabulary's characters (the "vocab" header cells), in a scrolling
 * box; the target character's header, when given, is underlined.
 */
function vocabTable(vocab, target, term, label, cells) {
  const headers = vocab.map((ch) => {
    return el("th", { scope: "col", class: ch === target ? "vocab target" : "vocab" }, ch);
  });
  const head = el("thead", {}, el("tr", {}, el("th", {}), headers));
  const row = el("tr", { dataset: { term } }, el("th", { scope: "row" }, label), cells);
  const table = el("table", { class: `vectors ${term}` }, head, el("tbody", {}, row));
  return el("div", { class: "scroll" }, table);
}

/** One phase (before or after training) of step t: the terms, h_t, y_t and the loss. */
function phase(name, result, t) {
  const cell = result.config.cell;
  const records = result[name];
  const record = records[t];
  const previous = t > 0 ? records[t - 1] : null;
  const zeros = record.h.map(() => 0);
  const rows = [vectorRow("h_prev", "h_{t−1}", "", previous ? previous.h : zeros, diverging)];
  if (cell === "lstm") {
    rows.push(vectorRow("c_prev", "c_{t−1}", "", previous ? previous.terms.c : zeros, diverging));
  }
  for (const [key, symbol, what, scale] of TERMS[cell]) {
    rows.push(vectorRow(key, symbol, what, record.terms[key], scale));
  }
  rows.push(vectorRow("h", "h_t", "", record.h, diverging, "result-row"));
  const units = record.h.map((_, i) => el("th", { scope: "col", class: "unit" }, String(i + 1)));
  return el(
    "section",
    { class: "phase", dataset: { phase: name } },
    el(
      "h3",
      {},
      name === "before" ? "Before training" : `After ${result.config.steps} training steps`,
    ),
    el(
      "div",
      { class: "scroll" },
      el(
        "table",
        { class: "vectors" },
        el("thead", {}, el("tr", {}, el("th", { class: "corner" }, "hidden unit"), units)),
        el("tbody", {}, rows),
      ),
    ),
    probabilities(result.vocab, record),
    el(
      "p",
      { class: "verdict" },
      `predicted ‘${record.predicted}’, target ‘${record.target}’, `,
      `loss ${record.loss.toFixed(3)}`,
      record.predicted === record.target ? " ✓" : "",
    ),
  );
}

/** y_t over the vocabulary, the target's column marked. */
function probabilities(vocab, record) {
  const cells = record.probs.map((p) => numberCell(p, sequential));
  return vocabTable(vocab, record.target, "y", math("y_t"), cells);
}

/** One vector as a row of cells, headed by its symbol (and what it is, in words). */
function vectorRow(term, symbol, what, values, scale, className) {
  const label = el("th", { scope: "row" }, math(symbol), what ? math(` ${what}`, "what") : null);
  return el(
    "tr",
    { class: className, dataset: { term } },
    label,
    values.map((v) => numberCell(v, scale)),
  );
}

/** A number on its colour; data-value keeps full precision for whoever reads the page. */
function numberCell(value, scale, digits = 2) {
  const text = scale === sequential ? value.toFixed(digits) : signed(value, digits);
  return el("td", { class: "num", dataset: { value }, style: scale(value) }, text);
}

/** Training (loss before and after, with a sparkline), test-mode generation, and the check. */
function summary(result) {
  const { training, config, generation } = result;
  const first = training.length ? training[0].loss : null;
  const last = training.length ? training[training.length - 1] : null;
  const learned = last
    ? `loss ${first.toFixed(3)} → ${last.loss.toFixed(3)}, then predicting ‘${last.predicted}’`
    : "no steps";
  return [
    el(
      "p",
      {},
      el("strong", {}, "Training: "),
      `${config.steps} steps of Adam (lr ${config.lr}) with teacher forcing: ${learned}. `,
      sparkline(training.map((s) => s.loss)),
    ),
    el(
      "p",
      {},
      el("strong", {}, "Test mode: "),
      `start from ‘${config.text[0]}’ and feed each prediction back in: `,
      el("q", { class: "generated" }, generation.text),
    ),
    el(
      "p",
      { class: "check" },
      "Explicit cells vs torch's fused kernels: max |difference| ",
      result.fused_max_abs_diff.toExponential(1),
    ),
  ];
}

/** The training loss as a small inline SVG line (decorative: the numbers are in the text). */
function sparkline(losses) {
  if (losses.length < 2) return null;
  const top = Math.max(...losses);
  const points = losses.map(
    (loss, i) =>
      `${((100 * i) / (losses.length - 1)).toFixed(1)},${(20 - (20 * loss) / top).toFixed(1)}`,
  );
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 -1 100 22");
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  return svg;
}
