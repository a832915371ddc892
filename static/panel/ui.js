/* The panel's small helpers; `$` and `el` are the wizard's own. */

export {$, el, refusal} from "../js/ui.js";

/* A message for the operator at the top of the screen (empty text hides it). */
export function notice(text) {
  const box = document.getElementById("notice");
  box.textContent = text || "";
  box.hidden = !text;
}

export function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "";
}

/* One event as a log line: time, node, message. */
export function logLine(event) {
  const time = new Date(event.time * 1000).toLocaleTimeString();
  return `${time} ${event.node ? "[" + event.node + "] " : ""}${event.message}`;
}
