/* The settings screen: the advertise address (this host's addresses suggested, the default
route's first) and the pod and service networks. Every problem the engine finds is shown next to
its field; the first such field gets focus. */

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
  if (result.ok) { state.snapshot = result.body; step(1); return; }
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

export function init() {
  onEnter("settings", render);
  $("settings-form").addEventListener("submit", submit);
}
