/* The checks screen: results with their fix, re-run, skip with confirmation, and Start. */

import {$, api, el, notice, problemText, refusal} from "./ui.js";
import {answers, refresh, state} from "./state.js";
import {onEnter, show} from "./nav.js";
import {dialog} from "./dialog.js";

let results = [];
let pendingSkip = null;  // the check the confirmation is about
let confirm = null;

const skipped = () => answers()["skip-checks"] || [];

async function run() {
  $("checks-summary").textContent = "Running the checks…";
  $("check-rows").replaceChildren();
  $("start").disabled = true;
  const result = await api("/api/checks", {});
  if (!result.ok) { $("checks-summary").textContent = refusal(result.body); return; }
  results = result.body.results || [];
  render();
}

function render() {
  const count = (s) => results.filter((r) => r.status === s).length;
  const failed = count("fail");
  $("checks-summary").textContent = `${count("pass")} passed, ${count("warn")} warnings, ${failed} failed, ` +
    `${count("skipped")} skipped.` + (failed ? " Fix what failed (or skip it), then run the checks again." : "");
  const order = {fail: 0, warn: 1, skipped: 2, pass: 3};
  const sorted = [...results].sort((a, b) => (order[a.status] ?? 4) - (order[b.status] ?? 4));
  $("check-rows").replaceChildren(...sorted.map(row));
  $("skipped-list").textContent = skipped().join(", ") || "none";
  $("start").disabled = failed > 0;
}

function row(r) {
  const action = r.status === "skipped"
    ? el("button", {class: "small", onclick: () => setSkips(skipped().filter((id) => id !== r.id))}, "Check again")
    : (r.status === "warn" || r.status === "fail")
      ? el("button", {class: "small", "aria-label": "Skip check " + r.id, onclick: () => confirmSkip(r.id)}, "Skip…")
      : "";
  return el("tr", {"data-check": r.id, "data-status": r.status},
    el("td", {}, el("span", {class: "badge " + r.status}, r.status)),
    el("td", {}, el("code", {}, r.id), r.node ? el("div", {class: "help"}, r.node) : null),
    el("td", {}, r.message, r.hint && r.status !== "pass" ? el("p", {class: "fix"}, "Fix: " + r.hint) : null),
    el("td", {}, action));
}

function confirmSkip(id) {
  if (!id) return;
  pendingSkip = id;
  $("skip-confirm-text").textContent = `Skip the check "${id}"? The installation will go ahead without it, ` +
    "and the application may not work as its vendor intends.";
  confirm.open($("skip-yes"));
}

async function skipConfirmed() {
  const id = pendingSkip;
  confirm.close();
  if (id && !skipped().includes(id)) await setSkips([...skipped(), id]);
}

async function setSkips(list) {
  const result = await api("/api/answers", {"skip-checks": list});
  if (!result.ok) { notice(problemText(result.body)); return; }
  state.snapshot = result.body;
  await run();
}

/* Start once: the button stays disabled; a refusal (already running) leads to the progress screen. */
async function start() {
  $("start").disabled = true;
  const result = await api("/api/start", {});
  await refresh();
  show("progress");
  if (!result.ok) notice(refusal(result.body));
}

export function init() {
  onEnter("checks", run);
  confirm = dialog($("skip-confirm"));
  $("checks-rerun").addEventListener("click", run);
  $("start").addEventListener("click", start);
  $("skip-no").addEventListener("click", () => confirm.close());
  $("skip-yes").addEventListener("click", skipConfirmed);
  $("skip-form").addEventListener("submit", (e) => { e.preventDefault(); confirmSkip($("skip-id").value.trim()); });
}
