/* Which screen shows: the address's #fragment (#overview, #nodes, #operations, #support), so a
reload or a shared link lands on the same screen. Screens register with onEnter. */

const entered = {};

export function onEnter(screen, render) { entered[screen] = render; }

export function current() {
  const name = window.location.hash.slice(1);
  return entered[name] ? name : "overview";
}

export function show() {
  const screen = current();
  for (const section of document.querySelectorAll("main > section")) {
    section.hidden = section.id !== "screen-" + screen;
  }
  for (const link of document.querySelectorAll("[data-screen]")) {
    if (link.dataset.screen === screen) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const app = document.getElementById("app-name").textContent;
  document.title = `${document.querySelector(`[data-screen=${screen}]`).textContent} — ${app} — Control panel`;
  entered[screen]();
}

export function init() {
  window.addEventListener("hashchange", () => { show(); document.getElementById("content").focus(); });
}
