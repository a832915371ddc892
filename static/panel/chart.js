/* A line chart of one series of percentages over time, drawn as SVG (no library: the charts are
three small lines, and every asset stays on this host). */

const NS = "http://www.w3.org/2000/svg";
const W = 320, H = 120, PAD = 24;

function svg(tag, attrs) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/* `points`: [[unix seconds, percent], ...]. Returns a <figure> with the chart and its caption. */
export function lineChart(title, points) {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const last = points.length ? points[points.length - 1][1] : null;
  const caption = document.createElement("figcaption");
  caption.textContent = `${title}: ${last === null ? "no data" : last.toFixed(1) + " %"}`;
  const box = svg("svg", {viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": caption.textContent});
  box.append(svg("rect", {x: PAD, y: 4, width: W - PAD - 4, height: H - PAD - 4, class: "frame"}));
  for (const pct of [0, 50, 100]) {
    const y = 4 + (H - PAD - 4) * (1 - pct / 100);
    const label = svg("text", {x: 2, y: y + 4, class: "axis"});
    label.textContent = String(pct);
    box.append(label);
  }
  if (points.length > 1) {
    const t0 = points[0][0], t1 = points[points.length - 1][0] || t0 + 1;
    const xy = points.map(([t, v]) => [PAD + (W - PAD - 4) * (t - t0) / (t1 - t0 || 1),
      4 + (H - PAD - 4) * (1 - Math.min(100, Math.max(0, v)) / 100)]);
    box.append(svg("polyline", {points: xy.map((p) => p.map((n) => n.toFixed(1)).join(",")).join(" "), class: "line"}));
  }
  figure.append(box, caption);
  return figure;
}
