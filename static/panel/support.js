/* Support: a report made on the spot (the same file `./install report` writes), fetched and then
handed to the browser as a download, so a refusal shows here instead of replacing the page; and the
remote-support session through the hub, opened and closed as `./install support open|close` do. */

import {$, refusal} from "./ui.js";
import {onEnter} from "./nav.js";
import {call} from "./net.js";

const IDLE = "The report is made when you ask for it; that can take half a minute.";

function fileName(response) {
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : "airlift-report.tar.gz";
}

function save(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

let making = false;

function enter() {
  if (!making) $("support-state").textContent = IDLE;
  showSession();
}

function drawSession(data) {
  const session = data.session;
  const open = Boolean(session && session.open);
  $("tunnel-open").hidden = open || !data.hub;
  $("tunnel-close").hidden = !open;
  if (!data.hub) {
    $("tunnel-state").textContent = "This site is not connected to a hub: ./install hub connect URL --token T " +
      "on the first master first.";
  } else if (open) {
    const how = {connected: "connected", reconnecting: "reconnecting", opening: "connecting"}[session.state] ||
      session.state;
    $("tunnel-state").textContent = `Support session open until ${session.until} (${how}) for ` +
      `${session.allow.join(", ")}, through ${data.hub}.` + (session.error ? ` Last problem: ${session.error}` : "");
  } else {
    const last = session ? session.closed_by || "its time ran out" : null;
    $("tunnel-state").textContent = last ? `No support session open (the last one: ${last}).` :
      "No support session open.";
  }
}

async function showSession() {
  const result = await call("api/support/session");
  if (result.ok) drawSession(result.body);
  else $("tunnel-state").textContent = refusal(result.body);
}

async function openSession(event) {
  event.preventDefault();
  const form = $("tunnel-open");
  const allow = [...form.querySelectorAll("input[name=allow]:checked")].map((box) => box.value).join(",");
  $("tunnel-open-button").disabled = true;
  $("tunnel-state").textContent = "Opening: reading the nodes' SSH host keys and the cluster's CA…";
  const result = await call("api/support/open", {allow, ttl: $("tunnel-ttl").value});
  $("tunnel-open-button").disabled = false;
  if (!result.ok) { $("tunnel-state").textContent = refusal(result.body); return; }
  drawSession(result.body);
  const keys = Object.entries(result.body.host_keys || {}).map(([node, key]) => `${node}: ${key}`);
  if (keys.length) $("tunnel-state").textContent += ` SSH host keys the vendor's ssh checks: ${keys.join("; ")}.`;
}

async function closeSession() {
  $("tunnel-close").disabled = true;
  const result = await call("api/support/close", {});
  $("tunnel-close").disabled = false;
  if (!result.ok) { $("tunnel-state").textContent = refusal(result.body); return; }
  drawSession(result.body);
  if (result.body.hub_not_told) {
    $("tunnel-state").textContent += ` The hub was not told (${result.body.hub_not_told}); it ends the session ` +
      "at its time limit, and this site no longer connects.";
  }
}

async function make() {
  const button = $("support-download");
  button.disabled = making = true;
  $("support-state").textContent = "Making the report: every node is asked for its logs and state…";
  try {
    const response = await fetch("api/support/report", {credentials: "same-origin"});
    if (response.status === 401) { window.location.assign("signin"); return; }
    if (!response.ok) {
      const body = await response.json().catch(() => ({error: `The report was refused (HTTP ${response.status}).`}));
      $("support-state").textContent = refusal(body);
      return;
    }
    const blob = await response.blob();
    const name = fileName(response);
    save(blob, name);
    $("support-state").textContent = `Downloaded ${name} (${Math.ceil(blob.size / 1024)} KiB). Send it to the ` +
      "vendor: it holds no token, password or private key; its summary.txt says what looks wrong.";
  } catch (err) {
    $("support-state").textContent = "The control panel does not answer. Check that the airlift-panel service runs " +
      "on the first master.";
  } finally {
    button.disabled = making = false;
  }
}

export function init() {
  onEnter("support", enter);
  $("support-download").addEventListener("click", make);
  $("tunnel-open").addEventListener("submit", openSession);
  $("tunnel-close").addEventListener("click", closeSession);
}
