// The part of a card that opens: an agent task's steps, live, and a command task's diff.
// Every text goes in with textContent (el's `text`): a model's words, a tool's answer and
// a program's diff are shown as they are, never parsed as HTML.

import { el, getJson } from "./api.js";

// What a card line keeps of an argument list or an answer; the trace has the rest.
const SHORT_CHARS = 160;

function short(text) {
  const flat = String(text ?? "").replace(/\s+/g, " ").trim();
  return flat.length > SHORT_CHARS ? `${flat.slice(0, SHORT_CHARS)}…` : flat;
}

export class TaskDetail {
  // onFile(path): open a blackboard file in the viewer.
  constructor(onFile) {
    this.onFile = onFile;
    this.root = el("details", { class: "detail", hidden: true });
    this.summary = el("summary", { text: "Details" });
    this.steps = el("ol", { class: "steps" });
    this.diff = el("div", { class: "diff" });
    this.links = el("p", { class: "links" });
    this.root.append(this.summary, this.links, this.steps, this.diff);
    this.seen = new Set();
    this.loadedKey = null;
    this.task = null;
    this.root.addEventListener("toggle", () => { if (this.root.open) this.load(); });
  }

  // Called on every refresh: shown for an agent task or one with a diff; loaded again
  // when open and its files have changed (the diff is written as the task ends).
  update(task) {
    this.task = task;
    this.label();
    if (this.root.open && this.loadedKey !== this.key(task)) this.load();
  }

  label() {
    const steps = Boolean(this.task?.trace) || this.seen.size > 0;
    const patch = Boolean(this.task?.patch);
    this.root.hidden = !(steps || patch);
    const count = this.seen.size ? ` (${this.seen.size})` : "";
    this.summary.textContent = steps && patch ? `Steps${count} and diff`
      : (patch ? "Diff" : `Steps${count}`);
  }

  key(task) {
    return `${task.trace}|${task.patch}|${task.status}`;
  }

  async load() {
    const task = this.task;
    if (!task) return;
    this.loadedKey = this.key(task);
    let detail;
    try {
      detail = await getJson(`/api/tasks/${task.id}`);
    } catch (error) {
      this.loadedKey = null; // opened again, it tries again
      this.links.replaceChildren(el("span", { class: "error",
        text: `cannot load task #${task.id}: ${error.message}` }));
      return;
    }
    for (const step of detail.steps) this.addStep(step);
    this.showLinks(detail);
    this.showDiff(detail.diff);
  }

  // One `agent_step` body, from the route or the live stream (steps from before the page
  // opened come from the route when the card is opened); a step seen twice is kept once.
  addStep(step) {
    if (this.seen.has(step.step)) return;
    this.seen.add(step.step);
    this.label();
    const tokens = `${step.tokens_in}+${step.tokens_out} tok`;
    const calls = step.calls.map((call) => el("li", { class: call.failed ? "call failed" : "call" },
      el("code", { class: "tool", text: `${call.tool}(${short(call.arguments)})` }),
      el("span", { class: "answer", text: ` → ${short(call.answer)}` })));
    const said = step.text && step.text.trim() ? el("p", { class: "said", text: short(step.text) }) : null;
    const item = el("li", { class: "step", "data-step": step.step },
      el("span", { class: "step-head", text: `step ${step.step} · ${tokens}` }), said,
      calls.length ? el("ul", { class: "calls" }, ...calls) : null);
    // In step order, whichever way they arrived.
    const after = [...this.steps.children].find((li) => Number(li.dataset.step) > step.step);
    this.steps.insertBefore(item, after || null);
  }

  showLinks(detail) {
    const links = [];
    if (detail.trace) {
      links.push(el("button", { type: "button", class: "file-link", text: "trace",
        onclick: () => this.onFile(detail.trace) }));
    }
    if (detail.diff) {
      links.push(el("a", { href: detail.diff.raw, target: "_blank", rel: "noopener",
        text: "whole diff" }));
    }
    this.links.replaceChildren(...links);
  }

  showDiff(diff) {
    if (!diff) {
      this.diff.replaceChildren();
      return;
    }
    const head = el("p", { class: "diff-head",
      text: `${diff.files} file(s), +${diff.added} −${diff.removed}`
        + (diff.truncated ? " (the start of it)" : "") });
    const lines = diff.lines.map((line) => el("span", { class: `line ${line.kind}`,
      text: `${line.text}\n` }));
    this.diff.replaceChildren(head, el("pre", { class: "diff-lines" }, ...lines));
  }
}
