/* The screens around the install: welcome, license, cluster size (flavor), nodes, and done
(the Licence screen is licence.js).
Each reads the engine's snapshot; answers are sent to the engine, which validates them. */

import {$, api, el, problemText} from "./ui.js";
import {answers, bundle, refresh, snap, state} from "./state.js";
import {currentScreen, onEnter, step} from "./nav.js";
import * as ssh from "./ssh.js";
import {licenceSummary} from "./licence.js";

function renderWelcome() {
  const b = bundle();
  $("app-name").textContent = b.name || "Application";
  $("app-version").textContent = b.version ? "version " + b.version : "";
  document.title = (b.name || "Application") + " installer";
  for (const img of [$("logo"), $("welcome-logo")]) {
    if (b.logo) { img.src = b.logo; img.hidden = false; }
  }
  $("welcome-logo").alt = (b.name || "Application") + " logo";
  $("welcome-name").textContent = [b.name, b.version].filter(Boolean).join(" ");
  $("welcome-description").textContent = b.description || "";
  $("release-notes").textContent = b.release_notes || "No release notes.";
  $("eula-text").textContent = b.eula || "";
}

function renderFlavors() {
  const b = bundle();
  $("flavor-prompt").textContent = b.prompt || "Choose a cluster size";
  $("flavor-licence").textContent = licenceSummary();
  $("flavor-licence").hidden = !$("flavor-licence").textContent;
  $("flavor-list").replaceChildren(...(b.flavors || []).map((f) => {
    const nodes = (f.nodes || []).map((n) => n.count + " × " + n.profile).join(", ");
    return el("label", {class: "choice"},
      el("input", {type: "radio", name: "flavor", value: f.name, checked: f.name === answers().flavor}),
      el("span", {}, el("strong", {}, f.name), f.description || "", el("span", {class: "help"}, " (" + nodes + ")")));
  }));
}

async function submitFlavor(e) {
  e.preventDefault();
  const chosen = document.querySelector("input[name=flavor]:checked");
  const problem = $("flavor-problem");
  problem.hidden = true;
  if (!chosen) { problem.textContent = "Choose one of the cluster sizes."; problem.hidden = false; return; }
  const result = await api("/api/answers", {flavor: chosen.value, profile: null});
  if (result.ok) { state.snapshot = result.body; step(1); return; }
  problem.textContent = problemText(result.body);
  problem.hidden = false;
}

function renderNodes() {
  const nodes = snap().nodes || [];
  $("node-rows").replaceChildren(...nodes.map((n, i) => el("tr", {},
    el("td", {}, n.name + (i === 0 ? " (this host)" : "")), el("td", {}, n.address || ""),
    el("td", {}, n.profile || ""), el("td", {}, profileText(n.profile)))));
  const flavor = (bundle().flavors || []).find((f) => f.name === answers().flavor) || {nodes: []};
  const missing = flavor.nodes.map((n) => ({profile: n.profile,
    count: n.count - nodes.filter((x) => x.profile === n.profile).length})).filter((n) => n.count > 0);
  const commands = (snap().join || {}).commands || {};
  $("join-help").replaceChildren(...missing.map((n) => el("div", {class: "join"},
    el("p", {}, `The ${flavor.name} cluster also needs ${n.count} ${n.profile} node(s). On each, as root, ` +
      "from the unpacked bundle, run:"),
    el("pre", {}, el("code", {}, commands[n.profile] || "(choose the cluster size again to get the command)")))));
  ssh.show(flavor, missing);
}

function profileText(name) {
  const profile = (bundle().profiles || []).find((p) => p.name === name);
  return profile ? profile.description : "";
}

/* A node joined, left or moved on: the nodes screen redraws from a fresh snapshot. */
export async function nodeEvent() {
  await refresh();
  if (currentScreen() === "nodes") renderNodes();
}

function renderDone() {
  const s = snap();
  const endpoints = s.endpoints || [];
  $("done-summary").textContent = `${bundle().name || "The application"} ${bundle().version || ""} is installed.`;
  $("endpoints").replaceChildren(...(endpoints.length ? endpoints.map((e) => el("li", {},
    e.url ? el("a", {href: e.url}, e.name + ": " + e.url) : e.name + (e.address ? ": " + e.address : ""),
    e.description ? " — " + e.description : "")) : [el("li", {}, "The application declares no endpoints.")]));
  $("kubeconfig").textContent = s.kubeconfig || "";
  $("log-path").textContent = s.log || "";
  $("status-command").textContent = (s.installer || "./install") + " status";
  $("answers-path").textContent = s.answers_file || "";
  $("replay-command").textContent = "./install --cli --config " + (s.answers_file || "answers.yaml");
}

export function init() {
  renderWelcome();
  onEnter("welcome", renderWelcome);
  onEnter("flavor", renderFlavors);
  onEnter("nodes", renderNodes);
  onEnter("done", renderDone);
  document.querySelectorAll("[data-next]").forEach((b) => b.addEventListener("click", () => step(1)));
  document.querySelectorAll("[data-back]").forEach((b) => b.addEventListener("click", () => step(-1)));
  $("eula-accept").addEventListener("change", async (e) => {
    $("eula-next").disabled = !e.target.checked;
    /* Saved with the answers, so a replay of them headless accepts the licence too. */
    const result = await api("/api/answers", {"accept-eula": e.target.checked});
    if (result.ok) state.snapshot = result.body;
  });
  $("flavor-form").addEventListener("submit", submitFlavor);
}
