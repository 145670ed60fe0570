// heatmap.js: the attention weights of one translation as a table of coloured cells, one row
// per target token and one column per source token (both including <eos>), as in the
// lecture's attention figure. Pointing at a row label, or focusing it with Tab, lights the
// source tokens that row attends to; pointing at a cell reads out its weight.

import { el, sequential } from "./dom.js";

const CAPTION = "Attention: each row is a target token, each column the source token it reads";

/**
 * src: source tokens (columns), tgt: target tokens (rows), weights[row][col] in [0, 1];
 * caption and corner (the axes' names) default to a translation's.
 * Returns a <figure> holding the table and a live line that reads out what is highlighted.
 */
export function attentionHeatmap(
  src,
  tgt,
  weights,
  { caption = CAPTION, corner = "target ↓ source →" } = {},
) {
  const readout = el("p", { class: "readout", "aria-live": "polite" }, hint());
  const columns = src.map((token, col) =>
    el("th", { scope: "col", class: "src", dataset: { col } }, token),
  );
  const rows = tgt.map((token, row) =>
    el(
      "tr",
      { dataset: { row } },
      el("th", { scope: "row", class: "tgt", tabindex: 0, dataset: { row } }, token),
      weights[row].map((w, col) => cell(w, row, col, token, src[col])),
    ),
  );
  const table = el(
    "table",
    { class: "attention" },
    el("thead", {}, el("tr", {}, el("th", { class: "corner" }, corner), columns)),
    el("tbody", {}, rows),
  );
  const view = { table, columns, rows, src, tgt, weights, readout };
  table.addEventListener("mouseover", (event) => point(view, event.target));
  table.addEventListener("focusin", (event) => point(view, event.target));
  table.addEventListener("mouseleave", () => clear(view));
  table.addEventListener("focusout", (event) => {
    if (!table.contains(event.relatedTarget)) clear(view);
  });
  return el(
    "figure",
    { class: "heatmap" },
    el("figcaption", {}, caption),
    el("div", { class: "scroll" }, table),
    readout,
  );
}

function hint() {
  return "Point at a cell for its weight, or point at (or Tab to) a target token.";
}

/** One weight: its colour, its value in data-weight, and a tooltip for the mouse. */
function cell(weight, row, col, target, source) {
  return el("td", {
    dataset: { row, col, weight },
    title: `${target} → ${source}: ${weight.toFixed(3)}`,
    style: { background: sequential(weight).background },
  });
}

/** Highlight whatever the pointer or the focus is on: a row label or one cell. */
function point(view, target) {
  const node = target.closest("td, th.tgt");
  if (!node) return;
  clear(view);
  const row = Number(node.dataset.row);
  if (node.tagName === "TD") showCell(view, row, Number(node.dataset.col));
  else showRow(view, row);
}

/**
 * A row: the row label is active and every source token is tinted by its weight in that row;
 * the one it attends to most is outlined (class "top"), and the readout lists the largest.
 */
function showRow(view, row) {
  const weights = view.weights[row];
  const best = weights.indexOf(Math.max(...weights));
  view.rows[row].classList.add("active");
  view.columns.forEach((th, col) => {
    Object.assign(th.style, sequential(weights[col]));
    th.classList.add("lit");
    th.classList.toggle("top", col === best);
  });
  const ranked = weights
    .map((w, col) => [w, col])
    .sort((a, b) => b[0] - a[0])
    .slice(0, 3);
  const parts = ranked.map(([w, col]) => `${view.src[col]} ${w.toFixed(2)}`);
  view.readout.textContent = `“${view.tgt[row]}” attends to: ${parts.join(", ")}`;
}

/** A cell: its row and column labels are active and the readout gives its weight. */
function showCell(view, row, col) {
  const weight = view.weights[row][col];
  view.rows[row].classList.add("active");
  view.rows[row].cells[col + 1].classList.add("active");
  view.columns[col].classList.add("active");
  const pair = `“${view.tgt[row]}” → “${view.src[col]}”`;
  view.readout.textContent = `${pair}: weight ${weight.toFixed(3)}`;
}

function clear(view) {
  for (const node of view.table.querySelectorAll(".active, .lit, .top")) {
    node.classList.remove("active", "lit", "top");
  }
  for (const th of view.columns) th.removeAttribute("style");
  view.readout.textContent = hint();
}
