/* The progress screen: phases as a stepper with progress bars, the log per node, and when the
install stopped (failed, refused, or interrupted by a restart), why, what to do, and Retry.

Phase states and the operation status come from the engine's snapshot (the truth, re-read after
every replay); events move them on live and bring the progress bars and the log. */
import {$, api, el, formatBytes, notice, refusal} from "./ui.js";
import {refresh, state} from "./state.js";
import {currentScreen, onEnter, show} from "./nav.js";
import {tabs} from "./tabs.js";

const MAX_LINES = 3000;
const phases = new Map();   // id -> {id, description, state, node, error, bar}
const lines = [];           // {node, level, text}
let op = {status: "idle"};  // the engine's operation: idle | running | completed | failed (+ error)
let opSeq = 0;              // the event that last set op
const ALL = "";             // the log tab of every node
let logNode = ALL;          // the node whose lines the log shows
let logTabs = null;         // draws the log's tabs (tabs.js)
let busy = false;
let follow = true;          // keep the log scrolled to its end unless the operator scrolled up

/* Take phase states and the operation status from the snapshot, unless an event newer than the
snapshot already moved them on (the snapshot may have been fetched before that event). */
function fromSnapshot() {
  const snap = state.snapshot || {};
  const fresh = (seq) => !seq || (snap.seq || 0) >= seq;
  if (fresh(opSeq)) op = snap.operation || {status: "idle"};
  for (const p of ((snap.plan || {}).phases) || []) {
    const known = phases.get(p.id) || {};
    if (fresh(known.seq)) phases.set(p.id, {...p, seq: known.seq || 0, bar: known.bar || null});
  }
}

function phase(id, node) {
  if (!phases.has(id)) phases.set(id, {id, description: id, state: "unstarted", node, error: null, bar: null});
  return phases.get(id);
}

/* Apply one event; `live` is false for history, which must not override the engine's present status. */
export function apply(event, live) {
  if (event.kind === "phase" && event.phase) {
    const p = phase(event.phase, event.node);
    p.state = {started: "in_progress", completed: "completed", failed: "failed"}[event.status] || p.state;
    p.error = event.status === "failed" ? event.data : null;
    p.seq = event.seq;
    if (event.status === "started") p.bar = null;
  } else if (event.kind === "progress" && event.phase) {
    phase(event.phase, event.node).bar = {...event.data, message: event.message};
  } else if (event.kind === "operation" && live) {
    op = {status: event.status === "started" ? "running" : event.status, error: (event.data || {}).error};
    opSeq = event.seq;
  }
  if (event.kind !== "progress") log(event);
}

function log(event) {
  const time = new Date(event.time * 1000).toLocaleTimeString();
  const bad = ["failed", "fail", "error"].includes(event.status);
  const level = bad ? "error" : (event.status === "warn" ? "warn" : "info");
  const where = [event.node, event.phase].filter(Boolean).join(" ");
  const what = event.kind === "phase" || event.kind === "operation" ? `${event.status}: ${event.message}`
    : event.kind === "check" ? `check ${event.status}: ${event.message}` : event.message;
  lines.push({node: event.node || null, level, text: `${time} ${where ? "[" + where + "] " : ""}${what}`});
  if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
}

/* Why the install is not moving, or null while it runs, before it starts, and once it is done. */
function stopped(list) {
  if (op.status === "running") return null;
  const failedPhase = list.find((p) => p.state === "failed");
  if (failedPhase) {
    const err = failedPhase.error || {};
    return {message: `${failedPhase.description} (${failedPhase.id}) failed: ${err.message || ""}`,
      hint: err.hint, details: err.details};
  }
  if (op.status === "failed") {
    const err = op.error || {};
    return {message: `The installation did not start: ${err.message || ""}`, hint: err.hint, details: err.details};
  }
  const begun = list.some((p) => p.state !== "unstarted");
  if (begun && list.some((p) => p.state !== "completed")) {
    return {message: "The installation was interrupted before it finished (the installer stopped while it ran).",
      hint: "Press Retry to continue where it stopped."};
  }
  return null;
}

export function render() {
  const list = [...phases.values()];
  const moving = op.status === "running";
  $("phases").replaceChildren(...list.map((p) => renderPhase(p, moving)));
  const done = list.length > 0 && list.every((p) => p.state === "completed");
  const stop = stopped(list);
  $("failure").hidden = !stop;
  if (stop) {
    $("failure-message").textContent = stop.message;
    $("failure-hint").textContent = [stop.hint ? "What to do: " + stop.hint : "", stop.details || ""]
      .filter(Boolean).join("\n");
    $("retry").disabled = busy;
  }
  const current = list.find((p) => p.state === "in_progress");
  $("operation-status").textContent = done ? "The installation is complete."
    : stop ? `Stopped after ${list.filter((p) => p.state === "completed").length} of ${list.length} steps.`
      : current ? `Running: ${current.description} (step ${list.indexOf(current) + 1} of ${list.length})`
        : op.status === "running" ? "Starting…" : "The installation has not started yet.";
  renderLog();
  if (done && currentScreen() === "progress") finish();
}

/* A phase left in progress by an installer that is no longer running is shown as interrupted. */
function renderPhase(p, moving) {
  const shown = p.state === "in_progress" && !moving ? "interrupted" : p.state.replace("_", " ");
  const bar = p.bar && p.bar.total ? el("progress", {max: p.bar.total, value: Math.min(p.bar.done, p.bar.total),
    "aria-label": p.description + " progress"}) : null;
  const amount = p.bar && p.bar.total ? (p.bar.unit === "bytes"
    ? `${formatBytes(p.bar.done)} of ${formatBytes(p.bar.total)}`
    : `${p.bar.done} of ${p.bar.total}`) : "";
  const detail = [p.bar && p.bar.message, amount].filter(Boolean).join(" — ");
  return el("li", {class: "phase", "data-phase": p.id, "data-state": p.state},
    el("span", {}, el("span", {class: "badge " + p.state}, shown)),
    el("span", {class: "name"}, p.description,
      el("span", {class: "help"}, " " + p.id + (p.node ? " on " + p.node : ""))),
    bar, detail ? el("span", {class: "detail"}, detail) : null);
}

/* With several nodes, tabs choose whose lines the log shows (lines of no node are always shown). */
function renderLog() {
  const nodes = [...new Set(lines.map((l) => l.node).filter(Boolean))];
  if (nodes.length < 2 || !nodes.includes(logNode)) logNode = ALL;
  const items = nodes.length > 1 ? [{key: ALL, label: "All nodes"}, ...nodes.map((n) => ({key: n, label: n}))] : [];
  logTabs(items, logNode);
  const box = $("log");
  const shown = lines.filter((l) => logNode === ALL || l.node === logNode || l.node === null);
  box.replaceChildren(...shown.map((l) => el("div", {class: l.level}, l.text)));
  if (follow) box.scrollTop = box.scrollHeight;
}

async function finish() {
  await refresh();
  if (currentScreen() === "progress") show("done");
}

/* Retry resumes the stored plan; with no plan yet (refused before it began) it goes back to the checks. */
async function retry() {
  busy = true;
  $("retry").disabled = true;
  await refresh();
  if (((state.snapshot || {}).plan || {}).state === "unstarted") {
    busy = false;
    show("checks");
    return;
  }
  const before = state.lastSeq;
  const result = await api("/api/resume", {});
  busy = false;
  if (!result.ok) notice(refusal(result.body));
  else if (opSeq <= before) op = result.body.operation || op;  // unless an event already moved it on
  render();
}

/* Take the snapshot's state (after a replay or a reload) and draw it. */
export function seed() {
  fromSnapshot();
  render();
}

export function init() {
  fromSnapshot();
  onEnter("progress", seed);
  logTabs = tabs($("log-tabs"), $("log-panel"), (key) => { logNode = key; renderLog(); });
  $("retry").addEventListener("click", retry);
  const box = $("log");
  box.addEventListener("scroll", () => { follow = box.scrollHeight - box.scrollTop - box.clientHeight < 40; });
}
