// The board: fetch a session, draw it, then follow /api/events and fetch again when the
// bus says something changed. The event stream resumes from the last event id it saw, so
// a page that lost its connection catches up on everything it missed.

import { ApiError, filePath, getJson, post, sessionPath } from "./api.js";
import { Board } from "./board.js";
import { renderGraph } from "./graph.js";
import { renderFiles, renderWorkers, setRendered, showFile, tickWorkers } from "./panels.js";

const REFRESH_MIN_MS = 250;
const POLL_MS = 5000;
const RECONNECT_MS = 2000;
const $ = (id) => document.getElementById(id);

const state = {
  sessionId: null,
  view: null,
  clockOffset: 0,
  lastEventId: null,
  source: null,
  refreshTimer: null,
  lastRefresh: 0,
  // Refreshes can overlap on a slow server: only a newer answer replaces the view.
  refreshesSent: 0,
  refreshShown: 0,
  file: null,
  reportShown: null,
  graphKey: "",
};

const board = new Board($("board"), { cancelTask, answerTask, openFile });

function notify(text, isError = false) {
  const notice = $("notice");
  notice.textContent = text;
  notice.hidden = !text;
  notice.classList.toggle("error", isError);
}

async function act(what, run) {
  try {
    const result = await run();
    notify("");
    return result;
  } catch (error) {
    notify(`${what}: ${error instanceof ApiError ? error.message : error}`, true);
    return null;
  } finally {
    scheduleRefresh();
  }
}

async function cancelTask(task) {
  if (!window.confirm(`Cancel task #${task.id} "${task.title}"?`)) return;
  await act(`cancel task #${task.id}`, () => post(`/api/tasks/${task.id}/cancel`));
}

async function answerTask(task, text) {
  const done = await act(`answer task #${task.id}`,
    () => post(`/api/tasks/${task.id}/answer`, { text }));
  return done !== null;
}

async function cancelSession() {
  if (!state.sessionId || !window.confirm(`Cancel session ${state.sessionId}?`)) return;
  await act("cancel the session", () => post(sessionPath(state.sessionId, "/cancel")));
}

async function loadSessions() {
  const sessions = await getJson("/api/sessions");
  const picker = $("session-picker");
  const wanted = new URLSearchParams(location.hash.slice(1)).get("session");
  const chosen = state.sessionId || sessions.find((s) => wanted && s.id.startsWith(wanted))?.id
    || sessions.find((s) => s.status === "running")?.id || sessions[0]?.id || null;
  picker.replaceChildren(...sessions.map((s) => {
    const option = document.createElement("option");
    option.value = s.id;
    option.textContent = sessionLabel(s, s.done, s.total);
    return option;
  }));
  if (!sessions.length) notify("No session yet: start one with  swarm run \"REQUEST\"");
  if (chosen) picker.value = chosen;
  if (chosen !== state.sessionId) selectSession(chosen);
}

function selectSession(sessionId) {
  state.sessionId = sessionId;
  state.view = null;
  state.file = null;
  state.reportShown = null;
  state.graphKey = "";
  state.lastEventId = null;
  if (state.source) state.source.close();
  state.source = null;
  if (!sessionId) return;
  history.replaceState(null, "", `#session=${sessionId}`);
  refresh();
}

function follow() {
  if (!state.sessionId || state.lastEventId === null) return;
  const params = new URLSearchParams({ session: state.sessionId, after: state.lastEventId });
  const source = new EventSource(`/api/events?${params}`);
  state.source = source;
  source.onopen = () => { setLive(true); scheduleRefresh(); };
  source.onmessage = (event) => {
    const message = JSON.parse(event.data);
    state.lastEventId = message.id;
    onMessage(message);
  };
  source.onerror = () => {
    setLive(false);
    // The browser reconnects by itself (sending Last-Event-ID) unless the server
    // refused the stream; then open a new one from the last id seen.
    if (source.readyState === EventSource.CLOSED && state.source === source) {
      setTimeout(() => { if (state.source === source) follow(); }, RECONNECT_MS);
    }
  };
}

function setLive(live) {
  const badge = $("live");
  badge.textContent = live ? "live" : "reconnecting…";
  badge.classList.toggle("on", live);
}

function onMessage(message) {
  if (message.kind === "task.progress") {
    board.progress(message.body.task_id, message.body.fraction, message.body.note);
  }
  if (message.kind === "agent_step") board.step(message.body);
  if (message.kind === "blackboard.written" && message.body.path === state.reportShown) {
    state.reportShown = null; // written again: show it anew
  }
  scheduleRefresh();
}

// At most one fetch per REFRESH_MIN_MS however many events arrive; the last one always
// leads to a fetch after it.
function scheduleRefresh() {
  if (state.refreshTimer) return;
  const wait = Math.max(0, state.lastRefresh + REFRESH_MIN_MS - Date.now());
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = null;
    refresh();
  }, wait);
}

async function refresh() {
  const sessionId = state.sessionId;
  if (!sessionId) return;
  state.lastRefresh = Date.now();
  const sent = ++state.refreshesSent;
  let view;
  try {
    view = await getJson(sessionPath(sessionId));
  } catch (error) {
    notify(`cannot load session ${sessionId}: ${error.message}`, true);
    return;
  }
  if (sessionId !== state.sessionId || sent < state.refreshShown) return;
  state.refreshShown = sent;
  state.view = view;
  state.clockOffset = view.now - Date.now() / 1000;
  if (state.lastEventId === null) state.lastEventId = view.last_event_id;
  draw(view);
  // Followed from the first view's event id on, so nothing after it is missed.
  if (!state.source) follow();
}

function draw(view) {
  const role = $("role-filter").value;
  labelSession(view);
  document.body.dataset.sessionStatus = view.session.status;
  $("session-status").textContent = view.session.status;
  $("session-status").className = `badge status-${view.session.status}`;
  $("request").textContent = view.session.request;
  $("cancel-session").hidden = view.session.status !== "running";
  fillRoles(view.tasks);
  board.render(view.tasks, role, state.clockOffset);
  const graphKey = JSON.stringify([role, view.tasks.map((t) => [t.id, t.status, t.depends_on])]);
  if (graphKey !== state.graphKey) {
    state.graphKey = graphKey;
    renderGraph($("graph"), view.tasks, role, (id) => board.highlight(id));
  }
  renderWorkers($("workers"), $("no-workers"), view.workers, state.clockOffset);
  renderFiles($("files"), view.blackboard, state.file, openFile);
  drawReport(view);
}

function sessionLabel(session, done, total) {
  return `${session.id} · ${session.status} · ${done}/${total} · ${session.request.slice(0, 60)}`;
}

// The picker's line for this session, kept as current as the board.
function labelSession(view) {
  const option = [...$("session-picker").options].find((o) => o.value === view.session.id);
  const done = view.tasks.filter((t) => t.status === "done").length;
  if (option) option.textContent = sessionLabel(view.session, done, view.tasks.length);
}

function fillRoles(tasks) {
  const filter = $("role-filter");
  const roles = [...new Set(tasks.map((t) => t.role))].sort();
  const have = [...filter.options].slice(1).map((o) => o.value);
  if (JSON.stringify(have) === JSON.stringify(roles)) return;
  const current = filter.value;
  filter.replaceChildren(filter.options[0], ...roles.map((r) => {
    const option = document.createElement("option");
    option.value = r;
    option.textContent = r;
    return option;
  }));
  filter.value = roles.includes(current) ? current : "";
}

async function drawReport(view) {
  const panel = $("report-panel");
  panel.hidden = !view.report;
  if (!view.report || state.reportShown === view.report) return;
  state.reportShown = view.report;
  try {
    const rendered = await getJson(filePath(view.session.id, view.report));
    $("report-path").textContent = rendered.path;
    setRendered($("report"), rendered.html, rendered.path, openFile);
  } catch (error) {
    state.reportShown = null;
    notify(`cannot show the report: ${error.message}`, true);
  }
}

async function openFile(path) {
  state.file = path;
  if (state.view) renderFiles($("files"), state.view.blackboard, path, openFile);
  await act(`open ${path}`, () => showFile(state.sessionId, path, {
    title: $("viewer-title"), meta: $("front-matter"), body: $("viewer") }, openFile));
}

$("session-picker").addEventListener("change", (e) => selectSession(e.target.value));
$("role-filter").addEventListener("change", () => { if (state.view) draw(state.view); });
$("cancel-session").addEventListener("click", cancelSession);
setInterval(() => {
  board.tick(state.clockOffset);
  tickWorkers($("workers"), state.clockOffset);
}, 1000);
// Heartbeats and memory are not on the bus: look again now and then.
setInterval(() => { loadSessions().catch(() => {}); scheduleRefresh(); }, POLL_MS);
loadSessions().catch((error) => notify(`cannot list sessions: ${error.message}`, true));
