/* Nodes: each node's profile, address, versions and Ready state; its CPU, memory and disk charts
when monitoring runs; the join command to add one; and removal with a confirmation, its progress
followed live (the cluster controller runs it, as for ./install remove). */

import {$, el, logLine, refusal} from "./ui.js";
import {call} from "./net.js";
import {current, onEnter} from "./nav.js";
import {follow} from "./live.js";
import {lineChart} from "./chart.js";
import {dialog} from "../js/dialog.js";

let confirmBox = null;
let removing = null;  // the node whose removal the dialog asks about
let charted = null;   // the node whose charts show
let chartTimer = null;
const CHART_REFRESH_MS = 15_000;  // Prometheus scrapes every 15 s: a fresh point each refresh

function ready(node) {
  if (node.ready === true) return el("span", {class: "badge pass"}, "Ready");
  if (node.ready === false) return el("span", {class: "badge fail"}, "NotReady");
  return el("span", {class: "badge unstarted"}, "unknown");
}

function row(node) {
  const actions = [el("button", {class: "small", onclick: () => charts(node.name)}, "Charts")];
  if (!node.first) actions.push(el("button", {class: "small", onclick: () => ask(node.name)}, `Remove ${node.name}…`));
  return el("tr", {},
    el("td", {}, el("strong", {}, node.name)),
    el("td", {}, node.address || ""),
    el("td", {}, node.profile || "", node.first ? el("span", {class: "muted"}, " (first master)") : null),
    el("td", {class: "small"}, `Airlift ${node.installer_version || "not reported"}`, el("br"),
      `k3s ${node.runtime_version || "not reported"}`),
    el("td", {}, ready(node)),
    el("td", {}, el("div", {class: "row-actions"}, actions)));
}

export async function render() {
  const result = await call("api/nodes");
  if (!result.ok) return;
  $("node-rows").replaceChildren(...result.body.nodes.map(row));
  const join = Object.entries(result.body.join);
  $("join-commands").replaceChildren(...(join.length ? [
    el("p", {}, "Run this on the new host, as root, from the unpacked bundle (the command holds the join token: keep it private)."),
    ...join.map(([profile, command]) => el("div", {class: "join"}, el("p", {}, el("strong", {}, `Profile ${profile}`)),
      el("pre", {class: "command"}, command)))] : [el("p", {class: "muted"}, "No profile of this application can be added.")]));
}

/* Shows `name`'s charts, then redraws them every CHART_REFRESH_MS while they stay on screen, so a
node that has just started fills in without a reload. */
async function charts(name, again = false) {
  clearTimeout(chartTimer);
  charted = name;
  $("node-charts").hidden = false;
  $("charts-title").textContent = `Charts of ${name} (last hour)`;
  if (!again) {
    $("charts").replaceChildren();
    $("charts-message").textContent = "Loading…";
  }
  chartTimer = setTimeout(() => {
    if (charted === name && current() === "nodes" && !$("node-charts").hidden) charts(name, true);
  }, CHART_REFRESH_MS);
  const result = await call(`api/nodes/${encodeURIComponent(name)}/charts`);
  if (!result.ok) { $("charts-message").textContent = refusal(result.body); return; }
  if (!result.body.available) { $("charts-message").textContent = `No charts: ${result.body.message}.`; return; }
  $("charts-message").textContent = "";
  const s = result.body.series;
  $("charts").replaceChildren(lineChart("CPU", s.cpu), lineChart("Memory", s.memory), lineChart("Disk", s.disk));
}

function ask(name) {
  removing = name;
  $("remove-text").textContent = `Drain node ${name}, remove Kubernetes and Airlift from it and delete it from the cluster?`;
  $("remove-force").checked = false;
  $("remove-problem").hidden = true;
  confirmBox.open($("remove-cancel"));
}

async function remove() {
  const name = removing;
  const result = await call(`api/nodes/${encodeURIComponent(name)}/remove`, {force: $("remove-force").checked});
  if (!result.ok) {
    $("remove-problem").textContent = refusal(result.body);
    $("remove-problem").hidden = false;
    return;
  }
  confirmBox.close();
  $("removal").hidden = false;
  $("removal-title").textContent = `Removing ${name}`;
  $("removal-state").textContent = "Running…";
  $("removal-log").textContent = "";
  follow(result.body.id, 0, (events) => progress(name, events));
}

function progress(name, events) {
  const log = $("removal-log");
  log.textContent += events.map((e) => logLine(e) + "\n").join("");
  log.scrollTop = log.scrollHeight;
  const end = events.find((e) => e.kind === "operation" && ["completed", "failed"].includes(e.status));
  if (end) {
    $("removal-state").textContent = end.status === "completed" ? `Node ${name} was removed.` : `The removal failed: ${end.message}`;
    render();
  }
}

export function init() {
  confirmBox = dialog($("remove-confirm"));
  $("remove-yes").addEventListener("click", remove);
  $("remove-cancel").addEventListener("click", () => confirmBox.close());
  onEnter("nodes", render);
}
