// attention.js: a Transformer's attention, layer by layer and head by head (POST /v1/attention),
// under the panel of a Transformer run (one whose routes list /v1/attention). An
// encoder-decoder has three kinds: the source's self-attention (the encoder), the target's
// causal self-attention (the decoder) and the cross-attention of the target over the source.
// A language model has one: its causal self-attention over the prime and what followed.
// Selectors pick the kind, the layer and the head; the heatmap shows that one head.

import { post } from "./api.js";
import { el, field } from "./dom.js";
import { attentionHeatmap } from "./heatmap.js";

const INPUT_ROWS = "each row is a decoder input (<sos>, then the output)";

// kind -> its selector label, and what its rows (queries) and columns (keys) are
const KINDS = {
  source: {
    label: "Source self-attention (encoder)",
    axes: ["source", "source"],
    reads: "each row is a source token, each column the source token it reads",
  },
  target: {
    label: "Target self-attention (decoder)",
    axes: ["target", "target"],
    reads: `${INPUT_ROWS}, each column the earlier one it reads`,
  },
  cross: {
    label: "Cross-attention (target over source)",
    axes: ["target", "source"],
    reads: `${INPUT_ROWS}, each column the source token it reads`,
  },
  self: {
    label: "Self-attention (causal)",
    axes: ["token", "earlier token"],
    reads: "each row is a token of the text, each column the earlier token it reads",
  },
};

/**
 * model: one entry of GET /v1/models. Returns null for a run without /v1/attention, else
 * {node, show(body)}: node is the (at first hidden) section; show({text, target}) asks for the
 * maps of that text (and target) and draws them, or says why it could not.
 */
export function attentionView(model) {
  if (!model.routes.includes("/v1/attention")) return null;
  const node = el("section", {
    class: "attention-maps",
    "aria-label": "attention heads",
    hidden: true,
    dataset: { state: "idle" },
  });
  async function show(body) {
    node.hidden = false;
    node.dataset.state = "loading";
    node.replaceChildren(el("p", { class: "status" }, "Reading the attention…"));
    try {
      const answer = await post("v1/attention", { model: model.name, truncate: true, ...body });
      node.replaceChildren(...heads(answer));
      node.dataset.state = "done";
    } catch (error) {
      node.replaceChildren(el("p", { class: "error" }, `Attention: ${error.message}`));
      node.dataset.state = "error";
    }
  }
  return { node, show };
}

/** The heading, the three selectors and the heatmap of the selected head. */
function heads(answer) {
  const kind = choice(
    "kind",
    answer.maps.map((m, i) => [i, KINDS[m.kind].label]),
  );
  const layer = choice("layer", []);
  const head = choice("head", []);
  const figure = el("div", { class: "head-map" });
  const draw = () => {
    const map = answer.maps[Number(kind.value)];
    const [l, h] = [Number(layer.value), Number(head.value)];
    const { label, axes, reads } = KINDS[map.kind];
    Object.assign(figure.dataset, { kind: map.kind, layer: l, head: h });
    const [layers, perLayer] = [map.weights.length, map.weights[l].length];
    const where = `layer ${l + 1} of ${layers}, head ${h + 1} of ${perLayer}`;
    const caption = `${label}, ${where}: ${reads}`;
    const corner = `${axes[0]} ↓ ${axes[1]} →`;
    const [keys, queries] = [map.keys.map(visible), map.queries.map(visible)];
    figure.replaceChildren(attentionHeatmap(keys, queries, map.weights[l][h], { caption, corner }));
  };
  const refill = () => {
    const map = answer.maps[Number(kind.value)];
    numbered(layer, map.weights.length, "Layer");
    numbered(head, map.weights[0].length, "Head");
    draw();
  };
  kind.addEventListener("change", refill);
  layer.addEventListener("change", draw);
  head.addEventListener("change", draw);
  refill();
  return [
    el("h3", {}, "Attention heads"),
    el(
      "div",
      { class: "selectors" },
      field("Attention", kind).wrap,
      field("Layer", layer).wrap,
      field("Head", head).wrap,
    ),
    answer.truncated ? el("p", { class: "note" }, "The text was cut to the first tokens.") : "",
    figure,
  ];
}

/** A token as a label: a character model's space and newline made visible. */
export function visible(token) {
  return token.replaceAll(" ", "␣").replaceAll("\n", "⏎");
}

function choice(name, entries) {
  const options = entries.map(([value, label]) => el("option", { value }, label));
  return el("select", { name }, options);
}

/** Options "Layer 1" … "Layer n" (values 0 … n-1); the selection stays where it still fits. */
function numbered(select, n, label) {
  const kept = Math.min(Number(select.value) || 0, n - 1);
  select.replaceChildren(
    ...Array.from({ length: n }, (_, i) => el("option", { value: i }, `${label} ${i + 1}`)),
  );
  select.value = String(kept);
}
