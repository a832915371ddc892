/* The Licence screen, shown when the bundle installs only with a licence from its vendor: the
operator chooses the file (or pastes it); the engine checks it (signature, application, expiry,
nodes) and says why it refuses one. The browser only reads the file and sends its text. */

import {$, api, refusal} from "./ui.js";
import {snap, state} from "./state.js";
import {onEnter, step} from "./nav.js";

/* What the accepted licence grants, in one line: shown here and on the cluster size screen, where
its node limit decides which sizes can be installed. */
export function licenceSummary() {
  const accepted = (snap().licence || {}).accepted;
  return accepted ? `Licence in use: ${accepted.customer}, up to ${accepted.max_nodes} node(s), ` +
    `valid through ${accepted.expires}.` : "";
}

function render() {
  const line = $("licence-accepted");
  line.textContent = licenceSummary();
  line.hidden = !line.textContent;
}

async function readFile(e) {
  const file = e.target.files[0];
  if (file) $("licence-text").value = await file.text();
}

/* Say why next to the licence text, which the reason describes, and put the keyboard there. */
function refuse(reason) {
  const problem = $("licence-problem");
  problem.textContent = reason;
  problem.hidden = false;
  $("licence-text").setAttribute("aria-invalid", "true");
  $("licence-text").focus();
}

async function submit(e) {
  e.preventDefault();
  const text = $("licence-text").value.trim();
  $("licence-problem").hidden = true;
  $("licence-text").removeAttribute("aria-invalid");
  if (!text && (snap().licence || {}).accepted) { step(1); return; }
  if (!text) { refuse("Choose the licence file, or paste what it holds."); return; }
  const result = await api("/api/licence", {licence: text});
  if (result.ok) { state.snapshot = result.body; render(); step(1); return; }
  refuse(refusal(result.body));
}

export function init() {
  onEnter("licence", render);
  $("licence-file").addEventListener("change", readFile);
  $("licence-form").addEventListener("submit", submit);
}
