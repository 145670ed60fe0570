// tag.js: the panel of a sequence tagger (named entities): a sentence in, the sentence back
// with each entity span marked in its type's colour, a legend of the types, and the BIO tag
// under every token.

import { post } from "./api.js";
import { el, field, panel, panelForm, parameters } from "./dom.js";

// light backgrounds that dark text reads well on, one per entity type in the model's order
const PALETTE = [
  "#ffd8a8",
  "#b2f2bb",
  "#a5d8ff",
  "#d0bfff",
  "#fcc2d7",
  "#ffec99",
  "#96f2d7",
  "#e9ecef",
];

/** model: one entry of GET /v1/models whose routes include /v1/tag. */
export function tagPanel(model) {
  const types = model.vocabularies.entity_types ?? [];
  const colours = new Map(types.map((type, i) => [type, PALETTE[i % PALETTE.length]]));
  const output = el("div", { class: "output", "aria-live": "polite" });
  const input = el("input", {
    name: "inputs",
    type: "text",
    placeholder: "a sentence with names in it",
    autocomplete: "off",
  });
  const { form } = panelForm({
    fields: [field("Sentence", input, { wide: true })],
    main: "inputs",
    submitLabel: "Tag",
    onSubmit: async (values) => {
      const answer = await post("v1/tag", { model: model.name, inputs: [values.inputs] });
      output.replaceChildren(...tagging(values.inputs, answer.outputs[0], colours));
    },
  });
  const facts = `${model.cell.toUpperCase()} tagger of ${types.join(", ")}, ${parameters(model)}`;
  return panel(
    { title: model.name, model: model.name, kind: "tag", facts, className: "tag" },
    form,
    legend(colours),
    output,
  );
}

function legend(colours) {
  return el(
    "ul",
    { class: "legend", "aria-label": "entity types" },
    [...colours].map(([type, colour]) =>
      el("li", {}, el("span", { class: "swatch", style: { background: colour } }), type),
    ),
  );
}

/** The text with its spans marked (spans carry character offsets into the text sent). */
function tagging(text, out, colours) {
  const pieces = [];
  let at = 0;
  for (const span of out.spans) {
    pieces.push(text.slice(at, span.start));
    if (!colours.has(span.type)) colours.set(span.type, PALETTE[colours.size % PALETTE.length]);
    pieces.push(
      el(
        "mark",
        {
          class: "entity",
          dataset: { type: span.type },
          style: { background: colours.get(span.type) },
        },
        el("span", { class: "entity-text" }, text.slice(span.start, span.end)),
        el("span", { class: "entity-type" }, span.type),
      ),
    );
    at = span.end;
  }
  pieces.push(text.slice(at));
  return [el("p", { class: "tagged" }, pieces), tagTable(out)];
}

/** Tokens over their BIO tags, so the spans can be traced to the tagger's decisions. */
function tagTable(out) {
  return el(
    "div",
    { class: "scroll" },
    el(
      "table",
      { class: "tags" },
      el(
        "tbody",
        {},
        el(
          "tr",
          {},
          el("th", { scope: "row" }, "token"),
          out.tokens.map((t) => el("td", {}, t)),
        ),
        el(
          "tr",
          {},
          el("th", { scope: "row" }, "tag"),
          out.tags.map((t) => el("td", { class: t === "O" ? "outside" : "inside" }, t)),
        ),
      ),
    ),
  );
}
