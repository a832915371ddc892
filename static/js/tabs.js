/* Tabs for keyboard and screen reader (the WAI-ARIA tabs pattern): role tablist/tab/tabpanel,
aria-selected and aria-controls; only the selected tab is in the Tab order (roving tabindex), and
Left/Right (wrapping), Home and End move to another tab and select it. */

import {el} from "./ui.js";

/* Make `list` the tablist for `panel`; `onSelect(key)` runs when a tab is chosen. Returns
render(items, selected) that draws [{key, label}] (no items: no tabs). A tab whose key is still
there keeps its element, so keyboard focus survives a redraw while the panel's content grows. */
export function tabs(list, panel, onSelect) {
  const all = () => [...list.querySelectorAll("[role=tab]")];
  list.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) onSelect(tab.dataset.key);
  });
  list.addEventListener("keydown", (event) => {
    const items = all();
    const at = items.indexOf(document.activeElement);
    const to = {ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: items.length - 1}[event.key];
    if (at < 0 || to === undefined) return;
    event.preventDefault();
    const tab = items[(to + items.length) % items.length];
    tab.focus();
    onSelect(tab.dataset.key);
  });

  return function render(items, selected) {
    const keys = items.map((item) => item.key);
    if (all().map((tab) => tab.dataset.key).join("\n") !== keys.join("\n")) {
      const focused = list.contains(document.activeElement) ? document.activeElement.dataset.key : null;
      list.replaceChildren(...items.map((item, i) => el("button", {type: "button", role: "tab", class: "small",
        id: `${list.id}-${i}`, "data-key": item.key, "aria-controls": panel.id}, item.label)));
      const again = all().find((tab) => tab.dataset.key === focused);
      if (again) again.focus();
    }
    const tabList = all();
    for (const tab of tabList) {
      const on = tab.dataset.key === selected;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
    }
    const chosen = tabList.find((tab) => tab.dataset.key === selected);
    if (chosen) {
      list.setAttribute("role", "tablist");
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", chosen.id);
    } else {
      list.removeAttribute("role");
      panel.removeAttribute("role");
      panel.removeAttribute("aria-labelledby");
    }
  };
}
