/* The Socket.IO connection (panel/live.py): the header shows whether it is up, and one operation
at a time is followed, its new events handed to the screen that asked. After a reconnect the same
operation is followed again from the last event seen. */

import {$} from "./ui.js";

let socket = null;
let followed = null;  // {id, after, handler}

export function follow(id, after, handler) {
  followed = {id, after, handler};
  if (socket && socket.connected) socket.emit("follow", {id, after});
}

export function stopFollowing() { followed = null; if (socket && socket.connected) socket.emit("follow", {id: ""}); }

function status(text, down) {
  $("connection").textContent = text;
  $("connection").classList.toggle("down", down);
}

export function init() {
  /* Served at its own root, or under a prefix when the vendor's hub forwards it (support session):
  the hub carries plain requests only, so there the connection long-polls. */
  const base = window.location.pathname.replace(/[^/]*$/, "");
  socket = window.io({path: `${base}socket.io`, transports: base === "/" ? ["websocket", "polling"] : ["polling"]});
  socket.on("connect", () => {
    status("Connected", false);
    if (followed) socket.emit("follow", {id: followed.id, after: followed.after});
  });
  socket.on("disconnect", () => status("Disconnected — reconnecting…", true));
  socket.on("connect_error", () => status("Not connected — reload the page if this lasts", true));
  socket.on("op_events", (data) => {
    if (!followed || data.id !== followed.id || !data.events.length) return;
    followed.after = data.events[data.events.length - 1].seq;
    followed.handler(data.events);
  });
}
