// studio.js: the page's entry point. It asks the server which models it loaded
// (GET /v1/models) and builds one panel per model, chosen by the routes the model answers,
// then the Explain panel, which needs no model at all.

import { request } from "./api.js";
import { classifyPanel } from "./classify.js";
import { explainPanel } from "./explain.js";
import { generatePanel } from "./generate.js";
import { tagPanel } from "./tag.js";
import { translatePanel } from "./translate.js";

// route -> the panel that uses it; a seq2seq run answers both translate and chat, and lists
// first the one it was trained for (chat for a chatbot), which sets the panel's words
const PANELS = {
  "/v1/translate": translatePanel,
  "/v1/chat": translatePanel,
  "/v1/generate": generatePanel,
  "/v1/classify": classifyPanel,
  "/v1/tag": tagPanel,
};

/** The panel for a model: the first of its routes that the studio has a panel for. */
function panelFor(model) {
  const route = model.routes.find((r) => r in PANELS);
  return route ? PANELS[route](model) : null;
}

async function main() {
  const panels = document.getElementById("panels");
  const status = document.getElementById("status");
  panels.append(explainPanel());
  try {
    const { models } = await (await request("v1/models")).json();
    const built = models.map(panelFor).filter(Boolean);
    panels.prepend(...built);
    const names = models.map((m) => `${m.name} (${m.task})`).join(", ");
    status.textContent = models.length
      ? `Loaded: ${names}.`
      : "No models loaded; the explainer still works.";
  } catch (error) {
    status.textContent = `Could not list the models: ${error.message}`;
    status.classList.add("error");
  }
  document.body.dataset.ready = "true"; // the panels are built (tests wait for this)
}

main();
