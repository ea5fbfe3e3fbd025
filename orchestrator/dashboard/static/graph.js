// The plan as a graph: a column per depth (a task sits right of everything it waits
// for), a box per task coloured by its status, an arrow per dependency.

const SVG = "http://www.w3.org/2000/svg";
const BOX_W = 170;
const BOX_H = 34;
const GAP_X = 60;
const GAP_Y = 14;
const PAD = 10;

function node(tag, attrs = {}, text = null) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

// Longest chain of dependencies below each task; a cycle (refused before enqueueing
// anyway) cannot make it loop.
export function depths(tasks) {
  const ids = new Set(tasks.map((t) => t.id));
  const depth = new Map(tasks.map((t) => [t.id, 0]));
  for (let round = 0; round < tasks.length; round += 1) {
    let changed = false;
    for (const task of tasks) {
      const wanted = Math.max(0, ...task.depends_on.filter((d) => ids.has(d))
        .map((d) => depth.get(d) + 1));
      if (wanted > depth.get(task.id) && wanted < tasks.length) {
        depth.set(task.id, wanted);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return depth;
}

export function renderGraph(container, tasks, roleFilter, onPick) {
  const depth = depths(tasks);
  const layers = [];
  for (const task of [...tasks].sort((a, b) => a.id - b.id)) {
    const d = depth.get(task.id);
    (layers[d] = layers[d] || []).push(task);
  }
  const at = new Map();
  layers.forEach((layer, x) => layer.forEach((task, y) => at.set(task.id, {
    x: PAD + x * (BOX_W + GAP_X), y: PAD + y * (BOX_H + GAP_Y) })));
  const rows = Math.max(1, ...layers.map((l) => l.length));
  const width = PAD * 2 + Math.max(1, layers.length) * (BOX_W + GAP_X) - GAP_X;
  const height = PAD * 2 + rows * (BOX_H + GAP_Y) - GAP_Y;
  const svg = node("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": "The plan's dependency graph" });
  const defs = node("defs");
  const marker = node("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 8, refY: 4,
    markerWidth: 7, markerHeight: 7, orient: "auto" });
  marker.append(node("path", { d: "M0,0 L8,4 L0,8 z", class: "arrow-head" }));
  defs.append(marker);
  svg.append(defs);
  for (const task of tasks) {
    const to = at.get(task.id);
    for (const dep of task.depends_on) {
      const from = at.get(dep);
      if (!from) continue;
      const x1 = from.x + BOX_W; const y1 = from.y + BOX_H / 2;
      const x2 = to.x; const y2 = to.y + BOX_H / 2;
      const mid = (x1 + x2) / 2;
      svg.append(node("path", { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
        class: "edge", "marker-end": "url(#arrow)" }));
    }
  }
  for (const task of tasks) {
    const { x, y } = at.get(task.id);
    const dim = roleFilter && task.role !== roleFilter ? " dim" : "";
    const group = node("g", { class: `node status-${task.status}${dim}`,
      transform: `translate(${x},${y})`, "data-task-id": task.id, tabindex: 0 });
    group.append(node("title", {}, `#${task.id} ${task.title} (${task.role}, ${task.status})`));
    group.append(node("rect", { width: BOX_W, height: BOX_H, rx: 6 }));
    const label = `#${task.id} ${task.title}`;
    group.append(node("text", { x: 8, y: 14 }, label.length > 24 ? `${label.slice(0, 23)}…` : label));
    group.append(node("text", { x: 8, y: 28, class: "sub" }, `${task.role} · ${task.status}`));
    group.addEventListener("click", () => onPick(task.id));
    svg.append(group);
  }
  container.replaceChildren(svg);
}
