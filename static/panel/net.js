/* Requests to the panel's JSON: POSTs carry the page's CSRF token (panel/access.py checks it with
the Origin); a 401 means the session ended, so the page goes back to the sign-in form. */

import {notice} from "./ui.js";

const csrf = () => document.querySelector("meta[name=csrf-token]").content;

/* Resolves to {ok, status, body}; never throws for an HTTP error. */
export async function call(path, body) {
  const options = body === undefined ? {credentials: "same-origin"} : {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf()}, body: JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    notice("The control panel does not answer. Check that the airlift-panel service runs on the first master.");
    return {ok: false, status: 0, body: {}};
  }
  if (response.status === 401) { window.location.assign("signin"); }
  const data = await response.json().catch(() => ({}));
  return {ok: response.ok, status: response.status, body: data};
}
