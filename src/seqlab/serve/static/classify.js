// classify.js: the panel of a classifier: a text in, the predicted label and one probability
// bar per class (the softmax over the model's labels, so the bars add up to 100%).

import { post } from "./api.js";
import { el, field, panel, panelForm, parameters, percent } from "./dom.js";

/** model: one entry of GET /v1/models whose routes include /v1/classify. */
export function classifyPanel(model) {
  const labels = model.vocabularies.labels;
  const output = el("div", { class: "output", "aria-live": "polite" });
  const input = el("input", {
    name: "inputs",
    type: "text",
    placeholder: "a text to classify",
    autocomplete: "off",
  });
  const { form } = panelForm({
    fields: [field("Text", input, { wide: true })],
    main: "inputs",
    submitLabel: "Classify",
    onSubmit: async (values) => {
      const answer = await post("v1/classify", { model: model.name, inputs: [values.inputs] });
      output.replaceChildren(...prediction(values.inputs, answer.outputs[0], labels));
    },
  });
  const classes = `${labels.length} classes (${labels.join(", ")})`;
  const facts = `${model.cell.toUpperCase()} classifier over ${classes}, ${parameters(model)}`;
  return panel(
    { title: model.name, model: model.name, kind: "classify", facts, className: "classify" },
    form,
    output,
  );
}

/** The text as read back, the winning label, and a bar per class in the model's label order. */
function prediction(text, out, labels) {
  const bars = labels.map((label) =>
    bar(label, out.probabilities[label] ?? 0, label === out.label),
  );
  return [
    el("p", { class: "echo" }, "“", el("span", { class: "echo-text" }, text), "”"),
    el(
      "p",
      { class: "result" },
      el("span", { class: "text" }, out.label),
      el("span", { class: "score" }, percent(out.probability)),
    ),
    el("ul", { class: "bars", "aria-label": "probability of each class" }, bars),
  ];
}

/** One class: its name, a bar whose filled width is its probability, and the number. */
function bar(label, p, best) {
  return el(
    "li",
    { class: best ? "best" : null, dataset: { label, probability: p } },
    el("span", { class: "label" }, label),
    el(
      "span",
      { class: "track", "aria-hidden": "true" },
      el("span", { class: "fill", style: { width: `${100 * p}%` } }),
    ),
    el("span", { class: "pct" }, percent(p)),
  );
}
