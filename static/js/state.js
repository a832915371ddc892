/* What the page knows of the install: the engine's latest snapshot and the events seen so far.
The page keeps no install state of its own; both are re-read after a reload or a reconnect. */

import {api} from "./ui.js";

export const state = {snapshot: null, lastSeq: 0, seen: new Set(), replaying: false, buffered: []};

export const snap = () => state.snapshot || {};
export const bundle = () => snap().bundle || {};
export const answers = () => snap().answers || {};

/* Re-read the snapshot; false when the engine did not give it (the notice says why). */
export async function refresh() {
  const result = await api("/api/snapshot");
  if (result.ok) state.snapshot = result.body;
  return result.ok;
}
