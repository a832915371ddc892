/* Support: a report made on the spot (the same file `./install report` writes), fetched and then
handed to the browser as a download, so a refusal shows here instead of replacing the page. */

import {$, refusal} from "./ui.js";
import {onEnter} from "./nav.js";

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
}
