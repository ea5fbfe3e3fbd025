// The workers table, the blackboard's files, the file viewer and the final report.

import { duration, el, filePath, getJson } from "./api.js";

const LIVE = new Set(["running", "stopping"]);

export function renderWorkers(table, empty, workers, clockOffset) {
  table.tBodies[0].replaceChildren(...workers.map((w) => {
    // What a stopped worker last reported is history: show it as such.
    const live = LIVE.has(w.status);
    const running = w.running.length ? w.running.map((t) => `#${t}`).join(" ") : "idle";
    return el("tr", { "data-worker": w.id, class: `worker status-${w.status}` },
      el("td", { text: w.role }),
      el("td", { text: w.id, class: "mono" }),
      el("td", { text: String(w.pid), class: "mono" }),
      el("td", { text: w.status }),
      el("td", { text: live ? running : "–" }),
      live ? el("td", { class: "heartbeat", "data-at": w.heartbeat_at,
        text: heartbeatAge(w.heartbeat_at, clockOffset) }) : el("td", { text: "–" }),
      el("td", { text: live && w.rss_mb ? `${Math.round(w.rss_mb)} MB` : "–" }),
      el("td", { text: w.restarts === null ? "?" : String(w.restarts) }));
  }));
  table.hidden = workers.length === 0;
  empty.hidden = workers.length !== 0;
}

export function tickWorkers(table, clockOffset) {
  for (const cell of table.querySelectorAll("td.heartbeat")) {
    cell.textContent = heartbeatAge(Number(cell.dataset.at), clockOffset);
  }
}

function heartbeatAge(at, clockOffset) {
  const seconds = Math.max(0, Math.round(Date.now() / 1000 + clockOffset - at));
  return seconds < 120 ? `${seconds}s ago` : `${duration(seconds)} ago`;
}

// The files by folder; picking one shows it in the viewer.
export function renderFiles(list, files, current, onPick) {
  const folders = new Map();
  for (const path of files) {
    const cut = path.lastIndexOf("/");
    const folder = cut < 0 ? "" : path.slice(0, cut);
    if (!folders.has(folder)) folders.set(folder, []);
    folders.get(folder).push(path);
  }
  const items = [];
  for (const [folder, paths] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
    const inner = el("ul", {}, ...paths.map((path) => el("li", {},
      el("button", { type: "button", class: path === current ? "file current" : "file",
        "data-path": path, text: path.slice(folder ? folder.length + 1 : 0),
        onclick: () => onPick(path) }))));
    items.push(el("li", { class: "folder" }, el("span", { text: folder ? `${folder}/` : "./" }),
      inner));
  }
  if (!items.length) items.push(el("li", { class: "empty", text: "No file yet." }));
  list.replaceChildren(...items);
}

// Show one file: its front matter as a list, its body as the HTML the server rendered
// from Markdown with every raw tag escaped.
export async function showFile(sessionId, path, parts, onLink) {
  const rendered = await getJson(filePath(sessionId, path));
  parts.title.textContent = rendered.path;
  const meta = rendered.front_matter || {};
  parts.meta.replaceChildren(...Object.entries(meta).flatMap(([key, value]) => [
    el("dt", { text: key }),
    el("dd", { text: Array.isArray(value) ? value.join(", ") : String(value) })]));
  setRendered(parts.body, rendered.html, path, onLink);
  if (rendered.truncated) {
    // A big file is shown by its head; the whole of it is one click away.
    parts.body.prepend(el("p", { class: "truncated" },
      `Showing the first part of a ${rendered.size.toLocaleString()}-byte file: `,
      el("a", { href: rendered.raw, target: "_blank", text: "the whole file" })));
  }
  return rendered;
}

export function setRendered(article, html, path, onLink) {
  article.innerHTML = html;
  for (const link of article.querySelectorAll("a[href]")) {
    const href = link.getAttribute("href");
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith("//")) {
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    } else if (!href.startsWith("#")) {
      // A link between blackboard files opens in the viewer.
      link.addEventListener("click", (event) => {
        event.preventDefault();
        onLink(resolve(path, href.split("#")[0]));
      });
    }
  }
}

function resolve(from, href) {
  const parts = from.split("/").slice(0, -1);
  for (const piece of href.split("/")) {
    if (piece === "..") parts.pop();
    else if (piece && piece !== ".") parts.push(decodeURIComponent(piece));
  }
  return parts.join("/");
}
