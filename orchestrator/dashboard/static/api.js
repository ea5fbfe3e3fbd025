// Talking to the dashboard's server: reads are GETs; changes are POSTs with the header
// the server requires of them (a page of another site cannot send it).

export class ApiError extends Error {}

async function parse(response) {
  const type = response.headers.get("content-type") || "";
  const body = type.includes("application/json") ? await response.json() : await response.text();
  if (!response.ok) {
    const reason = body && body.error ? body.error : `${response.status} ${response.statusText}`;
    throw new ApiError(reason);
  }
  return body;
}

export async function getJson(path) {
  return parse(await fetch(path, { headers: { Accept: "application/json" } }));
}

export async function post(path, data = {}) {
  return parse(await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Swarm-Request": "1" },
    body: JSON.stringify(data),
  }));
}

export function sessionPath(sessionId, rest = "") {
  return `/api/sessions/${encodeURIComponent(sessionId)}${rest}`;
}

export function filePath(sessionId, path) {
  const parts = path.split("/").map(encodeURIComponent).join("/");
  return sessionPath(sessionId, `/blackboard/${parts}`);
}

// Elements are built with textContent only: no server text is ever parsed as HTML here,
// except a blackboard file the server rendered from Markdown with raw HTML escaped.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 60) return `${Math.max(0, seconds).toFixed(1)} s`;
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${String(m).padStart(2, "0")}:${rest}`;
}
