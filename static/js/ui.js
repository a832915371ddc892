/* Small DOM and HTTP helpers shared by the wizard's screens. */
"use strict";
window.Wizard = window.Wizard || {};

Wizard.$ = (id) => document.getElementById(id);

/* Build an element: el("p", {class: "x"}, "text", child...). Text is never parsed as HTML. */
Wizard.el = function (tag, attrs, ...children) {
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
};

/* Call a wizard action. Resolves to {ok, status, body}; never throws for an HTTP error. */
Wizard.api = async function (path, body) {
  const options = body === undefined ? {credentials: "same-origin"} : {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    Wizard.notice("The installer does not answer. Check that ./install is still running, then reload this page.");
    return {ok: false, status: 0, body: {}};
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) {
    Wizard.notice("This browser's session has ended. Open the access link printed by ./install again.");
  }
  return {ok: response.ok, status: response.status, body: data};
};

/* A message for the operator at the top of the screen (empty text hides it). */
Wizard.notice = function (text) {
  const box = Wizard.$("notice");
  box.textContent = text || "";
  box.hidden = !text;
};

Wizard.formatBytes = function (n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
};

/* An operator-facing message from a refused action: the error, then what to do. */
Wizard.refusal = function (body) {
  return [body.error, body.hint ? "What to do: " + body.hint : ""].filter(Boolean).join(" ");
};
