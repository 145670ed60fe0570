// api.js: every call the studio makes to the JSON API (/v1/...): the API key, the server's
// one-line errors, and the server-sent events of a streamed generation.

let apiKey = null; // asked for once, after the first 401, and kept for this page only
let keyPrompt = null; // the pending question while the key form is shown

/** An error answer of the API: its status, its one line, and the field that line names. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
    this.field = fieldOf(message);
  }
}

/**
 * The request field an error is about: "inputs.1: 60 tokens…" -> "inputs",
 * "n_best: must be at most beam" -> "n_best". Null when the line names none (a 413 names the
 * body as a whole; the panel then shows it beside its main text input).
 */
function fieldOf(message) {
  const match = /^([a-z_]+)(\.\d+)*:/.exec(message);
  return match ? match[1] : null;
}

/**
 * POST body as JSON to path (or GET when body is undefined) and return the Response if it is
 * a success. A 401 shows the key form and tries again with the key; any other error status
 * throws an ApiError with the server's line. signal (an AbortSignal) stops the request, and
 * the reading of its answer.
 */
export async function request(path, body, signal) {
  for (;;) {
    const headers = body === undefined ? {} : { "content-type": "application/json" };
    if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
    const init =
      body === undefined
        ? { headers, signal }
        : { method: "POST", headers, body: JSON.stringify(body), signal };
    const response = await fetch(path, init);
    if (response.status === 401) {
      await askForKey(await errorLine(response));
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, await errorLine(response));
    return response;
  }
}

/** POST and parse the JSON answer. */
export async function post(path, body) {
  return (await request(path, body)).json();
}

/** The "error" line of an error answer, or the status text when it is not the API's JSON. */
async function errorLine(response) {
  const text = await response.text();
  try {
    return JSON.parse(text).error ?? text;
  } catch {
    return text.trim() || response.statusText || "request failed";
  }
}

/**
 * Show the key form and resolve once the user has entered a key. Requests that get a 401
 * while the form is open all wait for the same answer, so the page asks only once; a key the
 * server refused brings the form back with the server's message beside the field.
 */
function askForKey(message) {
  if (keyPrompt) return keyPrompt;
  const form = document.getElementById("key-form");
  const input = form.elements.key;
  const slot = document.getElementById("api-key-error");
  slot.textContent = apiKey === null ? "This server needs an API key." : message;
  slot.hidden = false;
  form.hidden = false;
  input.focus();
  keyPrompt = new Promise((resolve) => {
    form.addEventListener(
      "submit",
      (event) => {
        event.preventDefault();
        apiKey = input.value.trim();
        form.hidden = true;
        keyPrompt = null;
        resolve();
      },
      { once: true },
    );
  });
  return keyPrompt;
}

/**
 * The events of a text/event-stream answer as they arrive: {event, data} with data parsed
 * from JSON. Events are separated by a blank line (seqlab ends its lines with "\n"); a chunk
 * from the network may hold several events or end in the middle of one, so the text is
 * buffered up to each blank line.
 */
export async function* serverEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) yield event;
      end = buffer.indexOf("\n\n");
    }
  }
}

/** "event: end\ndata: {…}" -> {event: "end", data: {…}}; the event defaults to "message". */
function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue; // a comment (":…") or a line without a field
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, "");
    if (name === "event") event = value;
    else if (name === "data") data.push(value);
  }
  return data.length ? { event, data: JSON.parse(data.join("\n")) } : null;
}
