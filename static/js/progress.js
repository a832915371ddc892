/* The progress screen, drawn only from the plan in the snapshot and the engine's events:
phases as a stepper with progress bars, the log per node, the failure with its fix and Retry. */
"use strict";

(function () {
  const {$, el, api} = Wizard;
  const MAX_LINES = 3000;
  const phases = new Map();   // id -> {id, description, state, node, error, bar}
  const lines = [];           // {node, level, text}
  let operation = null;       // last "operation" event: {status, error}
  let logNode = null;         // null: all nodes
  let retrying = false;

  function seed() {
    const plan = (Wizard.state.snapshot || {}).plan;
    for (const p of (plan && plan.phases) || []) {
      const known = phases.get(p.id) || {};
      phases.set(p.id, {...known, ...p, bar: known.bar || null});
    }
  }

  function phase(id, node) {
    if (!phases.has(id)) phases.set(id, {id, description: id, state: "unstarted", node, error: null, bar: null});
    return phases.get(id);
  }

  function apply(event) {
    if (event.kind === "phase" && event.phase) {
      const p = phase(event.phase, event.node);
      p.state = {started: "in_progress", completed: "completed", failed: "failed"}[event.status] || p.state;
      p.error = event.status === "failed" ? event.data : null;
      if (event.status === "started") p.bar = null;
    } else if (event.kind === "progress" && event.phase) {
      phase(event.phase, event.node).bar = {...event.data, message: event.message};
    } else if (event.kind === "operation") {
      operation = {status: event.status, error: (event.data || {}).error || null};
    }
    if (event.kind !== "progress") log(event);
  }

  function log(event) {
    const time = new Date(event.time * 1000).toLocaleTimeString();
    const level = event.status === "failed" || event.status === "fail" || event.status === "error" ? "error"
      : (event.status === "warn" ? "warn" : "info");
    const where = [event.node, event.phase].filter(Boolean).join(" ");
    lines.push({node: event.node || null, level, text: `${time} ${where ? "[" + where + "] " : ""}${event.message}`});
    if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
  }

  /* What stopped the install: a failed phase, or a refusal before the plan began (checks, bundle). */
  function failed() {
    const phaseFailure = [...phases.values()].find((p) => p.state === "failed");
    if (phaseFailure) return phaseFailure;
    const op = operation || (Wizard.state.snapshot || {}).operation || {};
    if (op.status !== "failed") return null;
    return {id: null, description: "The installation", error: op.error || {}};
  }

  function render() {
    const list = [...phases.values()];
    $("phases").replaceChildren(...list.map(renderPhase));
    const failure = failed();
    const running = list.some((p) => p.state === "in_progress");
    const done = list.length > 0 && list.every((p) => p.state === "completed");
    $("failure").hidden = !failure || running;
    if (failure) {
      const err = failure.error || {};
      const which = failure.id ? `${failure.description} (${failure.id})` : failure.description;
      $("failure-message").textContent = `${which} failed: ${err.message || ""}`;
      $("failure-hint").textContent = [err.hint ? "What to do: " + err.hint : "", err.details || ""].filter(Boolean).join(" — ");
      $("retry").disabled = retrying;
    }
    const current = list.find((p) => p.state === "in_progress");
    $("operation-status").textContent = done ? "The installation is complete."
      : failure && !running ? "The installation stopped. Fix the cause, then press Retry."
        : current ? `Running: ${current.description} (${list.indexOf(current) + 1} of ${list.length})`
          : list.length ? "Waiting to continue." : "The installation has not started yet.";
    renderLog();
    if ((done || (operation && operation.status === "completed")) && Wizard.screens.current === "progress") finish();
  }

  function renderPhase(p) {
    const bar = p.bar && p.bar.total ? el("progress", {max: p.bar.total, value: Math.min(p.bar.done, p.bar.total),
      "aria-label": p.description + " progress"}) : null;
    const amount = p.bar && p.bar.total ? (p.bar.unit === "bytes"
      ? `${Wizard.formatBytes(p.bar.done)} of ${Wizard.formatBytes(p.bar.total)}`
      : `${p.bar.done} of ${p.bar.total}`) : "";
    const detail = [p.bar && p.bar.message, amount].filter(Boolean).join(" — ");
    return el("li", {class: "phase", "data-phase": p.id, "data-state": p.state},
      el("span", {}, el("span", {class: "badge " + p.state}, p.state.replace("_", " "))),
      el("span", {class: "name"}, p.description, el("span", {class: "help"}, " " + p.id + (p.node ? " on " + p.node : ""))),
      bar, detail ? el("span", {class: "detail"}, detail) : null);
  }

  function renderLog() {
    const nodes = [...new Set(lines.map((l) => l.node).filter(Boolean))];
    const tabs = nodes.length > 1 ? [null, ...nodes].map((n) => el("button", {role: "tab", class: "small",
      "aria-selected": String(n === logNode), onclick: () => { logNode = n; renderLog(); }}, n || "All nodes")) : [];
    $("log-tabs").replaceChildren(...tabs);
    const box = $("log");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    const shown = lines.filter((l) => logNode === null || l.node === logNode || l.node === null);
    box.replaceChildren(...shown.map((l) => el("div", {class: l.level}, l.text)));
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  async function finish() {
    await Wizard.refresh();
    if (Wizard.screens.current === "progress") Wizard.screens.show("done");
  }

  /* Retry resumes the stored plan; with no plan yet (refused before it began) it goes back to the checks. */
  async function retry() {
    if (((Wizard.state.snapshot || {}).plan || {}).state === "unstarted") {
      await Wizard.refresh();
      if (((Wizard.state.snapshot || {}).plan || {}).state === "unstarted") { Wizard.screens.show("checks"); return; }
    }
    retrying = true;
    $("retry").disabled = true;
    const result = await api("/api/resume", {});
    retrying = false;
    if (!result.ok) { Wizard.notice(Wizard.refusal(result.body)); $("retry").disabled = false; return; }
    Wizard.state.snapshot = result.body;
    render();
  }

  Wizard.progress = {apply, render, init() { seed(); $("retry").addEventListener("click", retry); },
    seed() { seed(); render(); }};
})();
