/* Which screen is shown, the steps beside it, and moving between them. Each screen module
registers what to do when its screen is entered, so this module depends on none of them. */

import {$, el, notice} from "./ui.js";
import {bundle, snap} from "./state.js";

const ORDER = ["welcome", "eula", "licence", "flavor", "nodes", "settings", "checks", "progress", "done"];
const entered = {};
let shown = null;

export const currentScreen = () => shown;

/* Run `fn` each time the screen `name` is shown. */
export function onEnter(name, fn) {
  entered[name] = fn;
}

function applicable() {
  return ORDER.filter((name) => (name !== "eula" || bundle().eula) &&
    (name !== "licence" || (snap().licence || {}).required) &&
    (name !== "flavor" || (bundle().flavors || []).length > 1));
}

/* Where a fresh page lands: the install's own state decides once it has started. */
export function landing() {
  const plan = snap().plan || {};
  const status = (snap().operation || {}).status;
  if (plan.state === "completed") return "done";
  if (status === "running" || status === "failed" || (plan.state && plan.state !== "unstarted")) return "progress";
  return "welcome";
}

export function show(name) {
  shown = name;
  const names = applicable();
  for (const id of ORDER) $("screen-" + id).hidden = id !== name;
  $("steps").replaceChildren(...names.map((id, i) => el("li", {
    class: id === name ? "current" : (i < names.indexOf(name) ? "visited" : null),
    "aria-current": id === name ? "step" : null,
  }, $("screen-" + id).dataset.title)));
  notice("");
  (entered[name] || (() => {}))();
  const heading = $("screen-" + name).querySelector("h1");
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}

export function step(delta) {
  const names = applicable();
  show(names[Math.max(0, names.indexOf(shown) + delta)]);
}
