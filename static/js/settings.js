/* The settings screen: the advertise address (this host's addresses suggested, the default
route's first), the pod and service networks, and the control panel's admin password. Every problem
the engine finds is shown next to its field; the first such field gets focus. */

import {$, api, el, refusal} from "./ui.js";
import {answers, snap, state} from "./state.js";
import {onEnter, step} from "./nav.js";

const KEYS = ["advertise-addr", "pod-cidr", "service-cidr"];

/* The snapshot's network: {addresses: [text], default: text | null} (installer/status/snapshot.py). */
function hostAddresses() {
  const network = snap().network || {};
  const addresses = [...new Set([network.default, ...(network.addresses || [])].filter(Boolean))];
  return {addresses, fallback: network.default || null};
}

function render() {
  const a = answers();
  for (const key of KEYS) {
    $(key).value = a[key] || "";
    clearProblem(key);
  }
  $("settings-problem").hidden = true;
  const {addresses, fallback} = hostAddresses();
  $("host-addresses").replaceChildren(...addresses.map((x) =>
    el("option", {value: x, label: x === fallback ? x + " (default route)" : null})));
  $("host-addresses-list").textContent = addresses.length
    ? "Addresses of this host: " + addresses.map((x) => x === fallback ? x + " (default route)" : x).join(", ") + "."
    : "";
  $("panel-password").value = $("panel-password-again").value = "";
  clearProblem("panel-password");
  $("panel-password-state").textContent = (snap().panel || {}).password_set
    ? "A password is set; type a new one to change it."
    : "Without one, sign in with the one-time link that ./install panel-link prints on this host.";
}

function clearProblem(key) {
  $(key).removeAttribute("aria-invalid");
  $(key + "-problem").hidden = true;
}

async function submit(e) {
  e.preventDefault();
  const changes = Object.fromEntries(KEYS.map((k) => [k, $(k).value.trim()]));
  KEYS.forEach(clearProblem);
  const result = await api("/api/answers", changes);
  if (result.ok) {
    state.snapshot = result.body;
    if (await savePanelPassword()) step(1);
    return;
  }
  const other = [];
  for (const p of result.body.problems || []) {
    if (!KEYS.includes(p.path)) { other.push(p.path + ": " + p.message); continue; }
    const box = $(p.path + "-problem");
    box.textContent = box.hidden ? p.message : box.textContent + " " + p.message;
    box.hidden = false;
    $(p.path).setAttribute("aria-invalid", "true");
  }
  const general = $("settings-problem");
  general.textContent = other.join("; ") || ((result.body.problems || []).length ? "" : refusal(result.body));
  general.hidden = !general.textContent;
  const first = KEYS.find((k) => $(k).getAttribute("aria-invalid"));
  if (first) $(first).focus();
}

/* The panel password, when one was typed: both fields must agree; the engine checks its length. */
async function savePanelPassword() {
  const password = $("panel-password").value;
  clearProblem("panel-password");
  if (!password && !$("panel-password-again").value) return true;
  const box = $("panel-password-problem");
  if (password !== $("panel-password-again").value) {
    box.textContent = "The two passwords differ: type the same password twice.";
  } else {
    const result = await api("/api/panel-password", {password});
    if (result.ok) { state.snapshot = result.body; return true; }
    box.textContent = refusal(result.body);
  }
  box.hidden = false;
  $("panel-password").setAttribute("aria-invalid", "true");
  $("panel-password").focus();
  return false;
}

export function init() {
  onEnter("settings", render);
  $("settings-form").addEventListener("submit", submit);
}
