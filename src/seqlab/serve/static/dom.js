// dom.js: the few helpers every panel uses to build its part of the page without a framework:
// el() for elements, field() and panelForm() for labelled controls whose API errors show right
// beside them, and the colour scales of the heatmaps and value cells.

let nextId = 0;

/** A page-unique id such as "beam-3", for pairing a <label> with its control. */
export function uniqueId(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * el("p", {class: "x", onclick: f, dataset: {row: 1}}, child, "text") -> <p class="x">.
 * Attributes that are null, undefined or false are left out; true gives an empty attribute.
 * Children may be nodes, strings or (nested) arrays of them; text is never parsed as HTML.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  return node;
}

/** An <input> for an option of the API, bounded as /v1/models says (spec: its JSON schema). */
export function numberInput(name, spec = {}, { step = 1, value } = {}) {
  const bounds = spec.anyOf ? spec.anyOf.find((s) => s.type !== "null") : spec;
  const min = bounds.minimum ?? (bounds.exclusiveMinimum !== undefined ? step : undefined);
  const max =
    bounds.maximum !== undefined && bounds.maximum <= Number.MAX_SAFE_INTEGER
      ? bounds.maximum
      : undefined; // a seed may go to 2^63 - 1, past what a JavaScript number holds exactly
  return el("input", {
    name,
    type: "number",
    inputmode: step === 1 ? "numeric" : "decimal",
    min,
    max,
    step,
    value: value ?? spec.default ?? "",
  });
}

/**
 * A labelled control: <div class="field"><label>…</label>control<p class="error"></p></div>.
 * The error slot sits right after its control, so an API error about this field (a 422
 * naming it, or a 413 for the text that made the body too large) shows beside it; the
 * control points at the slot with aria-describedby, so a screen reader reads it too.
 */
export function field(label, control, { wide = false } = {}) {
  if (!control.id) control.id = uniqueId(control.name || "field");
  const error = el("p", { class: "error", id: `${control.id}-error`, role: "alert", hidden: true });
  control.setAttribute("aria-describedby", error.id);
  const wrap = el(
    "div",
    { class: wide ? "field wide" : "field" },
    el("label", { for: control.id }, label),
    control,
    error,
  );
  return { wrap, control, error };
}

/**
 * A <form> of fields and a submit button; Enter in any field submits it. onSubmit(values)
 * does the work; an error it throws is shown beside the field it names (error.field), else
 * beside the main field. A second submit while one is running is ignored rather than
 * disabling the button, so keyboard focus stays put.
 */
export function panelForm({ fields, main, submitLabel, onSubmit }) {
  const byName = Object.fromEntries(fields.map((f) => [f.control.name, f]));
  const button = el("button", { type: "submit" }, submitLabel);
  const form = el(
    "form",
    { class: "controls" },
    fields.map((f) => f.wrap),
    el("div", { class: "actions" }, button),
  );
  // Enter submits from a <select> too (browsers do it only from text and number inputs)
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "SELECT") {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    form.setAttribute("aria-busy", "true");
    clearErrors(byName);
    try {
      await onSubmit(readValues(byName));
    } catch (error) {
      showError(byName[error.field] ?? byName[main], error);
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
    }
  });
  return { form, fields: byName };
}

/**
 * name -> value: numbers as numbers, the rest as text. An empty number field is left out, so
 * the request gets the server's default (for a seed: fresh randomness).
 */
function readValues(byName) {
  const values = {};
  for (const [name, { control }] of Object.entries(byName)) {
    if (control.type !== "number") values[name] = control.value;
    else if (control.value !== "") values[name] = Number(control.value);
  }
  return values;
}

function clearErrors(byName) {
  for (const { control, error } of Object.values(byName)) {
    error.hidden = true;
    error.textContent = "";
    control.removeAttribute("aria-invalid");
  }
}

/** Put an error's one line in a field's slot, with its HTTP status when it has one. */
function showError({ control, error: slot }, error) {
  if (error.status) slot.textContent = `${error.message} (HTTP ${error.status})`;
  else if (error instanceof TypeError) slot.textContent = `No answer: ${error.message}`;
  else slot.textContent = error.message; // e.g. an error event in the middle of a stream
  slot.hidden = false;
  control.setAttribute("aria-invalid", "true");
}

/**
 * A panel: <section> with a heading, a line of facts about the model, and its content;
 * data-model names the model it serves.
 */
export function panel({ title, kind, facts, className, model }, ...content) {
  const heading = uniqueId("panel");
  return el(
    "section",
    { class: `panel ${className}`, "aria-labelledby": heading, dataset: { kind, model } },
    el("h2", { id: heading }, title, el("span", { class: "kind" }, kind)),
    facts ? el("p", { class: "facts" }, facts) : null,
    content,
  );
}

/** Number formatting for cells: fixed digits, a true minus sign, + for positive values. */
export function signed(value, digits = 2) {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return ` ${text}`;
  return `${value < 0 ? "−" : "+"}${text}`;
}

/** "LSTM", or "Transformer (2 layers, 4 heads)" for a Transformer run. */
export function architecture(model) {
  if (model.cell !== "transformer") return model.cell.toUpperCase();
  return `Transformer (${model.sizes.num_layers} layers, ${model.sizes.num_heads} heads)`;
}

/** "23,097 parameters" (torch's count, every tensor of the module). */
export function parameters(model) {
  return `${model.parameters.pytorch.toLocaleString("en")} parameters`;
}

export function percent(p, digits = 1) {
  return `${(100 * p).toFixed(digits)}%`;
}

/**
 * Colours for a value in [-1, 1] (tanh outputs, gate terms): blue below zero, red above,
 * white at zero; the text turns white where the background gets dark.
 */
export function diverging(value) {
  const a = Math.min(1, Math.abs(value));
  const hue = value < 0 ? 215 : 5;
  return { background: `hsl(${hue} 80% ${97 - 50 * a}%)`, color: a > 0.6 ? "#fff" : "" };
}

/** Colours for a weight or probability in [0, 1]: white to deep teal. */
export function sequential(p) {
  const a = Math.max(0, Math.min(1, p));
  return { background: `hsl(190 70% ${98 - 66 * a}%)`, color: a > 0.55 ? "#fff" : "" };
}
