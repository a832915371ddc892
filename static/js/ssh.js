/* The nodes screen's "Add a host over SSH": the operator names the host and how to log in, is shown
the host key's fingerprint and confirms it (giving the key's passphrase when it has one), then
watches the host join. Each host's state comes from the engine's node events, replayed after a
reload; a password or passphrase is sent to the engine once and the page keeps neither. */

import {$, api, el, problemText} from "./ui.js";
import {state} from "./state.js";
import {dialog} from "./dialog.js";

const hosts = new Map();  // address -> {status, message, hint}
let pending = null;       // the host whose key is being confirmed, with the fingerprint shown
let roleChosen = false;   // the operator picked a role: keep it
let confirm = null;
const STATUS = {"ssh-connecting": "connecting", ssh: "copying", "ssh-failed": "failed",
  joined: "joined", reconnected: "joined"};

/* A node event about a host added over SSH moves its line on. */
export function apply(event) {
  const address = (event.data || {}).address;
  const status = event.kind === "node" ? STATUS[event.status] : null;
  if (!address || !status || (status === "joined" && !hosts.has(address))) return;
  const message = status === "copying" ? event.message + ". Copying the installer and starting its agent…"
    : event.message;
  hosts.set(address, {status, message, hint: status === "failed" ? (event.data || {}).hint : null});
  render();
}

function render() {
  $("ssh-hosts").replaceChildren(...[...hosts].map(([address, h]) => el("li", {"data-address": address,
    "data-status": h.status}, el("span", {class: "badge " + h.status}, h.status), " ", el("strong", {}, address),
  " ", h.message, h.hint ? el("p", {class: "fix"}, "What to do: " + h.hint) : null)));
}

/* Shown for a cluster of several nodes; the roles are the flavor's profiles, the first one still
missing chosen until the operator picks one. */
export function show(flavor, missing) {
  const several = (flavor.nodes || []).reduce((sum, n) => sum + n.count, 0) > 1;
  $("ssh").hidden = !several;
  const chosen = roleChosen ? $("ssh-role").value : ((missing || [])[0] || {}).profile;
  const roles = [...new Set((flavor.nodes || []).map((n) => n.profile))];
  $("ssh-role").replaceChildren(...roles.map((r) => el("option", {value: r, selected: r === chosen}, r)));
  render();
}

function problem(id, text) {
  $(id).textContent = text || "";
  $(id).hidden = !text;
}

/* The engine's problems with this host name its answers entry (nodes[2].key): name the field. */
function hostProblemText(body) {
  const problems = (body.problems || []).map((p) => ({...p, path: p.path.replace(/^nodes\[\d+\]\./, "")}));
  return problemText({...body, problems});
}

function formHost() {
  const auth = document.querySelector("input[name=ssh-auth]:checked").value;
  const port = $("ssh-port").value.trim();
  return {address: $("ssh-address").value.trim(), user: $("ssh-user").value.trim() || "root",
    port: /^\d+$/.test(port) ? Number(port) : port, role: $("ssh-role").value, auth,
    key: auth === "key" ? $("ssh-key").value.trim() : undefined};
}

/* Step 1: the host key the host shows, before anything is sent to it. */
async function inspect(e) {
  e.preventDefault();
  problem("ssh-problem", "");
  confirm.close();
  const host = formHost();
  $("ssh-check").disabled = true;
  $("ssh-check").textContent = "Reaching the host…";
  const result = await api("/api/ssh/inspect", host);
  $("ssh-check").disabled = false;
  $("ssh-check").textContent = "Check host key…";
  if (!result.ok) { problem("ssh-problem", hostProblemText(result.body)); return; }
  const info = result.body;
  pending = {...host, fingerprint: info.fingerprint};
  $("ssh-confirm-text").textContent = info.new
    ? `${info.address} (port ${info.port}) is new to this installer. It shows this ${info.key_type} host key. ` +
      "Compare it with the host's own (on its console: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) before you trust it:"
    : `${info.address} (port ${info.port}) shows the ${info.key_type} host key recorded earlier:`;
  $("ssh-fingerprint").textContent = info.fingerprint;
  $("ssh-passphrase").value = "";
  $("ssh-passphrase-field").hidden = info.needs !== "passphrase";
  problem("ssh-confirm-problem", "");
  confirm.open(info.needs === "passphrase" ? $("ssh-passphrase") : $("ssh-trust"));
}

/* Step 2: trust the key shown and reach the host with its secret. */
async function trust() {
  if (!pending) return;
  const body = {...pending};
  if (pending.auth === "password") body.password = $("ssh-password").value;
  if (!$("ssh-passphrase-field").hidden) body.passphrase = $("ssh-passphrase").value;
  $("ssh-trust").disabled = true;
  const result = await api("/api/ssh/add", body);
  $("ssh-trust").disabled = false;
  if (!result.ok) {
    if (result.body.need === "passphrase") $("ssh-passphrase-field").hidden = false;
    problem("ssh-confirm-problem", hostProblemText(result.body));
    ($("ssh-passphrase-field").hidden ? $("ssh-trust") : $("ssh-passphrase")).focus();
    return;
  }
  state.snapshot = result.body;
  for (const id of ["ssh-passphrase", "ssh-password", "ssh-address"]) $(id).value = "";
  confirm.close();
  pending = null;
  $("ssh-address").focus();
}

export function init() {
  confirm = dialog($("ssh-confirm"));
  $("ssh-form").addEventListener("submit", inspect);
  $("ssh-role").addEventListener("change", () => { roleChosen = true; });
  $("ssh-trust").addEventListener("click", trust);
  $("ssh-cancel").addEventListener("click", () => { pending = null; confirm.close(); });
  document.querySelectorAll("input[name=ssh-auth]").forEach((radio) => radio.addEventListener("change", () => {
    const password = radio.value === "password" && radio.checked;
    $("ssh-password-field").hidden = !password;
    $("ssh-key-field").hidden = password;
  }));
}
