/* The control panel's entry: wire the screens, connect Socket.IO, show the screen the address
names, and redraw the shown screen every REFRESH_MS. A sign-in link's token leaves the address
bar at once. */

import * as nav from "./nav.js";
import * as live from "./live.js";
import * as overview from "./overview.js";
import * as nodes from "./nodes.js";
import * as operations from "./operations.js";
import * as support from "./support.js";

const REFRESH_MS = 15000;

if (window.location.search) window.history.replaceState(null, "", window.location.pathname.replace(/[^/]*$/, "") + window.location.hash);
for (const screen of [overview, nodes, operations, support]) screen.init();
nav.init();
live.init();
nav.show();
setInterval(() => { if (nav.current() !== "support") nav.show(); }, REFRESH_MS);
