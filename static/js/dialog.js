/* Confirmations as modal dialogs (a native <dialog> opened with showModal, so the page behind is
inert): Tab and Shift-Tab cycle through the dialog's own controls, and Escape closes it as its
Cancel button would. */

const FOCUSABLE = "button, input, select, textarea, a[href], [tabindex]";

function focusable(box) {
  return [...box.querySelectorAll(FOCUSABLE)]
    .filter((item) => !item.disabled && item.tabIndex >= 0 && item.getClientRects().length > 0);
}

/* Keep Tab inside: past the last control to the first, before the first to the last. */
function cycle(box, event) {
  const items = focusable(box);
  const at = items.indexOf(document.activeElement);
  const to = event.shiftKey ? (at <= 0 ? items.length - 1 : null) : (at === items.length - 1 || at < 0 ? 0 : null);
  if (to === null) return;
  event.preventDefault();
  if (items.length) items[to].focus();
}

/* Wire the <dialog> `box` once. Returns {open(focus), close()}: open shows it and focuses `focus`
(its first control if none); the page behind gets focus back where it was when it closes. */
export function dialog(box) {
  box.addEventListener("keydown", (event) => {
    if (event.key === "Tab") cycle(box, event);
    else if (event.key === "Escape") { event.preventDefault(); box.close(); }
  });
  return {
    open(focus) {
      if (!box.open) box.showModal();
      (focus || focusable(box)[0]).focus();
    },
    close() {
      if (box.open) box.close();
    },
  };
}
