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
  /* A WebSocket first; long-polling when it cannot be had: the vendor's hub, forwarding the panel
  through a support session, carries plain requests only. */
  socket = window.io({transports: ["websocket", "polling"], tryAllTransports: true});
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
