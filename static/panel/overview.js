/* Overview: the health word and why, versions, alerts (when monitoring runs), endpoints, checks.
(The header's logo and name come with the page, from the manifest the install kept.) */

import {$, el} from "./ui.js";
import {call} from "./net.js";
import {onEnter} from "./nav.js";

function versions(data) {
  const rows = [["Application", `${data.app.name} ${data.app.version || ""}`],
    ["Kubernetes", `${data.runtime.name} ${data.runtime.version || "(version unknown)"}`],
    ["Airlift", data.installer.version || "(version unknown)"]];
  $("versions").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function alerts(a) {
  if (!a.available) { $("alerts").replaceChildren(el("p", {class: "muted"}, "No alerts to show: " + a.message + ".")); return; }
  if (!a.firing.length) { $("alerts").replaceChildren(el("p", {}, "No alert is firing.")); return; }
  $("alerts").replaceChildren(el("ul", {class: "alerts"}, a.firing.map((x) =>
    el("li", {}, el("span", {class: "badge fail"}, x.severity || "alert"), " ", el("strong", {}, x.name), " ", x.summary))));
}

export async function render() {
  const result = await call("api/overview");
  if (!result.ok) return;
  const data = result.body;
  if (!data.installed) { $("health-word").textContent = "not installed"; return; }
  const word = data.condition.word;
  $("health-word").textContent = word;
  $("health-word").className = "word " + word;
  $("health-reasons").replaceChildren(...data.condition.reasons.map((r) => el("li", {}, r)));
  versions(data);
  alerts(data.alerts);
  $("endpoints").replaceChildren(...(data.endpoints.length ? data.endpoints.map((e) =>
    el("li", {}, el("a", {href: e.url, rel: "noopener"}, e.name), " ", el("code", {}, e.url),
      e.description ? " — " + e.description : "")) : [el("li", {class: "muted"}, "The application names no endpoint.")]));
  $("checks").replaceChildren(...data.health.map((c) =>
    el("li", {}, el("span", {class: "badge " + (c.ok ? "pass" : "fail")}, c.ok ? "ok" : "failing"), " ", c.check,
      c.detail ? el("span", {class: "muted"}, " " + c.detail) : null)));
}

export function init() { onEnter("overview", render); }
