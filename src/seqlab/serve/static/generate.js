// generate.js: the panel of a language model (a prime to continue) or a conditional generator
// (a class to start from). The text streams in as the server samples it: the answer is read
// with fetch as server-sent events, and each piece is appended to its sample as it arrives.
// Stop ends the stream where it is, keeping the text so far.

import { ApiError, request, serverEvents } from "./api.js";
import { attentionView } from "./attention.js";
import { architecture, el, field, numberInput, panel, panelForm, parameters } from "./dom.js";

/** model: one entry of GET /v1/models whose routes include /v1/generate. */
export function generatePanel(model) {
  const options = model.options.generate;
  const labels = model.vocabularies.labels; // present for a conditional generator only
  const output = el("div", {
    class: "output samples",
    "aria-live": "off",
    dataset: { state: "idle" },
  });
  const main = labels ? conditionSelect(labels) : primeInput();
  const stop = el("button", { type: "button", class: "stop", hidden: true }, "Stop");
  const heads = attentionView(model); // a Transformer's heads over the first sample
  const { form } = panelForm({
    fields: [
      field(labels ? "Condition" : "Prime", main, { wide: true }),
      field("Max tokens", numberInput("max_tokens", options.max_tokens)),
      field("Temperature", numberInput("temperature", options.temperature, { step: 0.05 })),
      field("Top-k", numberInput("top_k", options.top_k)),
      field("Top-p", numberInput("top_p", options.top_p, { step: 0.05 })),
      field("Seed", seedInput(options.seed)),
      field("Samples (n)", numberInput("n", options.n)),
    ],
    main: main.name,
    submitLabel: "Generate",
    onSubmit: async (values) => {
      await stream(model.name, values, output, stop);
      const sample = output.querySelector(".sample");
      if (heads && output.dataset.state === "done") heads.show({ text: sample.textContent });
    },
  });
  form.querySelector(".actions").append(stop);
  return panel(
    {
      title: model.name,
      model: model.name,
      kind: "generate",
      facts: facts(model),
      className: "generate",
    },
    form,
    output,
    heads?.node,
  );
}

function primeInput() {
  return el("input", {
    name: "prime",
    type: "text",
    placeholder: "text to continue (may be empty)",
    autocomplete: "off",
  });
}

function conditionSelect(labels) {
  return el(
    "select",
    { name: "condition" },
    labels.map((label) => el("option", { value: label }, label)),
  );
}

/** An empty seed asks for fresh randomness; any number makes the samples reproducible. */
function seedInput(spec) {
  const input = numberInput("seed", spec, { value: "" });
  input.placeholder = "random";
  return input;
}

function facts(model) {
  const kind = model.vocabularies.labels
    ? `conditional generator over ${model.vocabularies.labels.length} classes`
    : "language model";
  const tokens = model.vocabularies.tokens;
  return `${architecture(model)} ${kind}, ${tokens} tokens, ${parameters(model)}`;
}

/**
 * POST /v1/generate with stream: true and show the samples growing. data events carry
 * {sample, text}; the end event carries the whole response (the same text, joined), which
 * replaces what was built piece by piece; an error event becomes an ApiError. The stop button
 * shows while the stream runs; pressing it aborts the request (state "stopped").
 */
async function stream(name, values, output, stop) {
  const body = { model: name, ...values, stream: true }; // prime or condition, and options
  const samples = Array.from({ length: body.n ?? 1 }, (_, i) =>
    el("pre", { class: "sample", dataset: { sample: i } }),
  );
  output.replaceChildren(...samples);
  output.dataset.state = "streaming";
  const abort = new AbortController();
  const onStop = () => abort.abort();
  stop.addEventListener("click", onStop);
  stop.hidden = false;
  try {
    const response = await request("v1/generate", body, abort.signal);
    for await (const { event, data } of serverEvents(response)) {
      if (event === "error") throw new ApiError(null, data.error);
      if (event === "end") data.outputs.forEach((text, i) => (samples[i].textContent = text));
      else samples[data.sample].append(data.text);
    }
    output.dataset.state = "done";
  } catch (error) {
    if (abort.signal.aborted) {
      output.dataset.state = "stopped"; // the text so far stays; no error to show
      return;
    }
    output.dataset.state = "error";
    throw error;
  } finally {
    stop.hidden = true;
    stop.removeEventListener("click", onStop);
  }
}
