/* Support: download a report made on the spot, when this build carries the report's code; else
say plainly that it is not available. */

import {$} from "./ui.js";
import {call} from "./net.js";
import {onEnter} from "./nav.js";

async function render() {
  const result = await call("/api/support");
  if (!result.ok) return;
  $("support-download").hidden = !result.body.available;
  $("support-state").textContent = result.body.available
    ? "The report is made when you ask for it; that can take half a minute."
    : result.body.message;
}

export function init() { onEnter("support", render); }
