/* Operations: the install and every expand, remove, upgrade and rollback, newest first; one chosen
shows its phases and its log, followed live while it runs. */

import {$, el, logLine, when} from "./ui.js";
import {call} from "./net.js";
import {onEnter} from "./nav.js";
import {follow} from "./live.js";

let chosen = null;

function item(op) {
  const button = el("button", {class: "operation" + (chosen === op.id ? " chosen" : ""),
    "aria-pressed": chosen === op.id ? "true" : "false", onclick: () => open(op.id)},
  el("span", {class: "badge " + op.state}, op.state), " ", el("strong", {}, op.title),
  el("span", {class: "muted small"}, " " + when(op.created)));
  return el("li", {}, button);
}

export async function render() {
  const result = await call("api/operations");
  if (!result.ok) return;
  const ops = result.body.operations;
  $("operation-list").replaceChildren(...(ops.length ? ops.map(item) : [el("li", {class: "muted"}, "No operation yet.")]));
  if (chosen === null && ops.length) { open(ops[0].id); return; }
  const op = ops.find((o) => o.id === chosen);
  if (op) detail(op);
}

function detail(op) {
  $("operation-detail").hidden = false;
  $("operation-title").textContent = op.title;
  $("operation-state").replaceChildren(el("span", {class: "badge " + op.state}, op.state), ` ${op.id}, begun ${when(op.created)}`);
  $("operation-phases").replaceChildren(...op.phases.map((p) => el("li", {class: "phase"},
    el("span", {}, el("span", {class: "badge " + p.state}, p.state)),
    el("span", {class: "name"}, p.description, p.node ? el("span", {class: "muted"}, ` on ${p.node}`) : null),
    p.error ? el("span", {class: "detail problem"}, p.error.message) : null)));
}

async function open(id) {
  chosen = id;
  $("operation-log").textContent = "";
  const result = await call(`api/operations/${encodeURIComponent(id)}`);
  const events = result.ok ? result.body.events : [];
  append(events);
  follow(id, events.length ? events[events.length - 1].seq : 0, (fresh) => {
    append(fresh);
    if (fresh.some((e) => e.kind === "phase" || e.kind === "operation")) render();
  });
  render();
}

function append(events) {
  const log = $("operation-log");
  log.textContent += events.filter((e) => e.kind !== "progress").map((e) => logLine(e) + "\n").join("");
  log.scrollTop = log.scrollHeight;
}

export function init() { onEnter("operations", render); }
