/* The wizard's start: load the engine's snapshot, connect to its event stream, show a screen.

The page keeps no install state of its own: everything shown comes from the snapshot and the
event log, which is replayed in full after a reload or a reconnect. */
"use strict";

Wizard.state = {snapshot: null, lastSeq: 0, seen: new Set(), replaying: false, buffered: []};

Wizard.refresh = async function () {
  const result = await Wizard.api("/api/snapshot");
  if (result.ok) Wizard.state.snapshot = result.body;
  return result.ok;
};

/* Each event once, even when history and live delivery overlap or two sinks race. */
Wizard.applyEvent = function (event, live) {
  if (Wizard.state.seen.has(event.seq)) return;
  Wizard.state.seen.add(event.seq);
  Wizard.state.lastSeq = Math.max(Wizard.state.lastSeq, event.seq);
  Wizard.progress.apply(event, live);
  Wizard.ssh.apply(event);
  if (event.kind === "node" && live) Wizard.screens.nodeEvent(event);
};

/* History first (everything after the last event seen), then the present state from the
snapshot, then live events that arrived meanwhile. */
Wizard.replay = function (socket) {
  Wizard.state.replaying = true;
  socket.emit("replay", {after: Wizard.state.lastSeq}, async (events) => {
    (Array.isArray(events) ? events : []).forEach((e) => Wizard.applyEvent(e, false));
    await Wizard.refresh();
    Wizard.progress.seed();
    Wizard.state.replaying = false;
    Wizard.state.buffered.splice(0).forEach((e) => Wizard.applyEvent(e, true));
    Wizard.progress.render();
  });
};

Wizard.connect = function () {
  const status = Wizard.$("connection");
  const socket = io({transports: ["websocket", "polling"]});
  socket.on("connect", () => {
    status.textContent = "Connected";
    status.classList.remove("down");
    Wizard.replay(socket);
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
    if (Wizard.state.replaying) Wizard.state.buffered.push(event);
    else { Wizard.applyEvent(event, true); Wizard.progress.render(); }
  });
  return socket;
};

document.addEventListener("DOMContentLoaded", async () => {
  if (window.location.search) history.replaceState(null, "", "/");
  if (!(await Wizard.refresh())) return;
  Wizard.screens.init();
  Wizard.progress.init();
  Wizard.connect();
  Wizard.screens.show(Wizard.screens.landing());
});
