// translate.js: the panel of a seq2seq run. A translator: a sentence in, the best output with
// its score, the n-best list of the beam, and the attention heatmap. A chatbot: a message in,
// a reply out, and the conversation so far above the latest reply's details.

import { post } from "./api.js";
import { attentionView } from "./attention.js";
import { attentionHeatmap } from "./heatmap.js";
import { architecture, el, field, numberInput, panel, panelForm, parameters } from "./dom.js";

/**
 * model: one entry of GET /v1/models whose routes include /v1/translate or /v1/chat. A seq2seq
 * run answers both with the same decoding; the panel asks the one the run lists first (chat for
 * a chatbot).
 */
export function translatePanel(model) {
  const route = model.routes.find((r) => r === "/v1/translate" || r === "/v1/chat").slice(4);
  const chat = route === "chat";
  const options = model.options[route];
  const turns = []; // a chatbot's conversation: [message, reply] pairs, oldest first
  const beam = numberInput("beam", options.beam);
  const nBest = numberInput("n_best", options.n_best, { value: 3 });
  const output = el("div", { class: "output", "aria-live": "polite" });
  const text = textInput(route);
  const heads = attentionView(model); // a Transformer's heads, per layer; null for an RNN
  const { form } = panelForm({
    fields: [
      field(chat ? "Message" : "Sentence", text, { wide: true }),
      field("Beam", beam),
      field("N-best", nBest),
    ],
    main: "inputs",
    submitLabel: chat ? "Reply" : "Translate",
    onSubmit: async (values) => {
      const body = {
        ...values,
        model: model.name,
        inputs: [values.inputs],
        return_attention: true,
      };
      const answer = await post(`v1/${route}`, body);
      const out = answer.outputs[0];
      if (chat) {
        turns.push([values.inputs, out.text]);
        text.value = ""; // ready for the next message
      }
      output.replaceChildren(...(chat ? [conversation(turns)] : []), ...translation(out));
      heads?.show({ text: values.inputs, target: out.text }); // the output shown, read back
    },
  });
  return panel(
    {
      title: model.name,
      model: model.name,
      kind: model.routes.map((r) => r.replace("/v1/", "")).join(" / "),
      facts: facts(model),
      className: "translate",
    },
    form,
    output,
    heads?.node,
  );
}

/** The messages and replies so far, as a list read top to bottom. */
function conversation(turns) {
  return el(
    "ol",
    { class: "conversation", "aria-label": "conversation" },
    turns.map(([message, reply]) => [
      el("li", { class: "turn message" }, who("you"), el("span", { class: "said" }, message)),
      el("li", { class: "turn reply" }, who("bot"), el("span", { class: "said" }, reply || "∅")),
    ]),
  );
}

function who(name) {
  return el("span", { class: "who" }, name);
}

function textInput(route) {
  const hint = route === "chat" ? "say something" : "a sentence in the source language";
  return el("input", { name: "inputs", type: "text", placeholder: hint, autocomplete: "off" });
}

/** "LSTM, bahdanau attention, bidirectional encoder, 23,097 parameters". */
function facts(model) {
  const parts = [architecture(model)];
  if (model.sizes.attention && model.sizes.attention !== "none") {
    parts.push(`${model.sizes.attention} attention`);
  }
  if (model.sizes.bidirectional) parts.push("bidirectional encoder");
  parts.push(parameters(model));
  return parts.join(", ");
}

/** The best output, its score, the n-best list and (when the model has attention) the map. */
function translation(out) {
  const nodes = [
    el("p", { class: "result" }, el("span", { class: "text" }, out.text || "∅ (empty)")),
    el(
      "p",
      { class: "score" },
      `score ${out.score.toFixed(3)}`,
      out.truncated ? ", input truncated" : "",
    ),
  ];
  if (out.n_best.length > 1) {
    nodes.push(
      el(
        "ol",
        { class: "nbest", "aria-label": "n-best list" },
        out.n_best.map((h) =>
          el(
            "li",
            {},
            el("span", { class: "text" }, h.text || "∅"),
            el("span", { class: "score" }, h.score.toFixed(3)),
          ),
        ),
      ),
    );
  }
  if (out.attention) nodes.push(attentionHeatmap(out.src_tokens, out.tgt_tokens, out.attention));
  return nodes;
}
