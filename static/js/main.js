/* The wizard's start: load the engine's snapshot, connect to its event stream, show a screen.

The page keeps no install state of its own: everything shown comes from the snapshot and the
event log, which is replayed in full after a reload or a reconnect. The Socket.IO client is the
vendored classic script loaded before this module (window.io). */

import {$} from "./ui.js";
import {refresh, state} from "./state.js";
import {landing, show} from "./nav.js";
import * as checks from "./checks.js";
import * as licence from "./licence.js";
import * as progress from "./progress.js";
import * as screens from "./screens.js";
import * as settings from "./settings.js";
import * as ssh from "./ssh.js";

/* Each event once, even when history and live delivery overlap or two sinks race. */
function applyEvent(event, live) {
  if (state.seen.has(event.seq)) return;
  state.seen.add(event.seq);
  state.lastSeq = Math.max(state.lastSeq, event.seq);
  progress.apply(event, live);
  ssh.apply(event);
  if (event.kind === "node" && live) screens.nodeEvent();
}

/* History first (everything after the last event seen), then the present state from the
snapshot, then live events that arrived meanwhile. */
function replay(socket) {
  state.replaying = true;
  socket.emit("replay", {after: state.lastSeq}, async (events) => {
    (Array.isArray(events) ? events : []).forEach((e) => applyEvent(e, false));
    await refresh();
    progress.seed();
    state.replaying = false;
    state.buffered.splice(0).forEach((e) => applyEvent(e, true));
    progress.render();
  });
}

function connect() {
  const status = $("connection");
  const socket = window.io({transports: ["websocket", "polling"]});
  socket.on("connect", () => {
    status.textContent = "Connected";
    status.classList.remove("down");
    replay(socket);
  });
  socket.on("disconnect", () => {
    status.textContent = "Connection lost — reconnecting…";
    status.classList.add("down");
  });
  socket.on("connect_error", (err) => {
    status.textContent = "Not connected: " + err.message;
    status.classList.add("down");
  });
  socket.on("event", (event) => {
    if (state.replaying) state.buffered.push(event);
    else { applyEvent(event, true); progress.render(); }
  });
  return socket;
}

/* A module runs once the page is parsed, so the screens' elements are all there. */
async function start() {
  if (window.location.search) history.replaceState(null, "", "/");
  if (!(await refresh())) return;
  screens.init();
  licence.init();
  settings.init();
  checks.init();
  ssh.init();
  progress.init();
  connect();
  show(landing());
}

start();
