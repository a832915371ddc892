/* Small DOM and HTTP helpers shared by the wizard's screens. */

export const $ = (id) => document.getElementById(id);

/* Build an element: el("p", {class: "x"}, "text", child...). Text is never parsed as HTML. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/* Call a wizard action. Resolves to {ok, status, body}; never throws for an HTTP error. */
export async function api(path, body) {
  const options = body === undefined ? {credentials: "same-origin"} : {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    notice("The installer does not answer. Check that ./install is still running, then reload this page.");
    return {ok: false, status: 0, body: {}};
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) {
    notice("This browser's session has ended. Open the access link printed by ./install again.");
  }
  return {ok: response.ok, status: response.status, body: data};
}

/* A message for the operator at the top of the screen (empty text hides it). */
export function notice(text) {
  const box = $("notice");
  box.textContent = text || "";
  box.hidden = !text;
}

/* Bytes for people: binary, as manifests count them, with the IEC unit names ("512 B", "1.5 KiB",
"2.0 GiB"), the same as the engine's own messages (installer/checks/result.py, size). */
export function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return i === 0 ? `${Math.trunc(n)} B` : `${n.toFixed(1)} ${units[i]}`;
}

/* An operator-facing message from a refused action (wizard/api.py, refused): the error as a
sentence, then what to do. */
export function refusal(body) {
  const error = body.error && !/[.!?]$/.test(body.error) ? body.error + "." : body.error;
  return [error, body.hint ? "What to do: " + body.hint : ""].filter(Boolean).join(" ");
}

/* A refusal with the answers it names: each problem with its path, else the refusal itself. */
export function problemText(body) {
  const problems = body.problems || [];
  return problems.length ? problems.map((p) => p.path + ": " + p.message).join("; ") : refusal(body);
}
