/* The Licence screen, shown when the bundle installs only with a licence from its vendor: the
operator chooses the file (or pastes it); the engine checks it (signature, application, expiry,
nodes) and says why it refuses one. The browser only reads the file and sends its text. */

import {$, api, refusal} from "./ui.js";
import {snap, state} from "./state.js";
import {onEnter, step} from "./nav.js";

function render() {
  const accepted = (snap().licence || {}).accepted;
  const line = $("licence-accepted");
  line.hidden = !accepted;
  line.textContent = accepted ? `Licence for ${accepted.customer}: up to ${accepted.max_nodes} node(s), ` +
    `valid through ${accepted.expires}.` : "";
}

async function readFile(e) {
  const file = e.target.files[0];
  if (file) $("licence-text").value = await file.text();
}

async function submit(e) {
  e.preventDefault();
  const text = $("licence-text").value.trim();
  const problem = $("licence-problem");
  problem.hidden = true;
  $("licence-text").removeAttribute("aria-invalid");
  if (!text && (snap().licence || {}).accepted) { step(1); return; }
  if (!text) { problem.textContent = "Choose the licence file, or paste what it holds."; problem.hidden = false; return; }
  const result = await api("/api/licence", {licence: text});
  if (result.ok) { state.snapshot = result.body; render(); step(1); return; }
  problem.textContent = refusal(result.body);
  problem.hidden = false;
  $("licence-text").setAttribute("aria-invalid", "true");
}

export function init() {
  onEnter("licence", render);
  $("licence-file").addEventListener("change", readFile);
  $("licence-form").addEventListener("submit", submit);
}
