// The columns and their cards. A card is kept across refreshes and moved between columns,
// so an answer being typed into a human task's card survives every update.

import { duration, el } from "./api.js";
import { TaskDetail } from "./detail.js";

export const STATUSES = ["blocked", "queued", "running", "done", "failed", "dead", "cancelled"];
const TERMINAL = new Set(["done", "failed", "dead", "cancelled"]);

export class Board {
  // actions: { cancelTask(task), answerTask(task, text) -> Promise<boolean>, openFile(path) }
  constructor(root, actions) {
    this.root = root;
    this.actions = actions;
    this.cards = new Map();
    this.lists = new Map();
    for (const status of STATUSES) {
      const list = el("ol", { class: "cards" });
      const count = el("span", { class: "count", text: "0" });
      root.append(el("div", { class: `column status-${status}`, "data-status": status },
        el("h2", {}, el("span", { text: status }), count), list));
      this.lists.set(status, { list, count });
    }
  }

  render(tasks, roleFilter, clockOffset) {
    const seen = new Set();
    const byStatus = new Map(STATUSES.map((s) => [s, []]));
    for (const task of tasks) {
      seen.add(task.id);
      const card = this.cards.get(task.id) || this.create(task);
      this.fill(card, task, clockOffset);
      card.hidden = Boolean(roleFilter) && task.role !== roleFilter;
      (byStatus.get(task.status) || byStatus.get("blocked")).push(card);
    }
    for (const [id, card] of this.cards) {
      if (!seen.has(id)) { card.remove(); this.cards.delete(id); }
    }
    for (const [status, cards] of byStatus) {
      const { list, count } = this.lists.get(status);
      cards.sort((a, b) => b.task.priority - a.task.priority || a.task.id - b.task.id);
      place(list, cards);
      count.textContent = String(cards.filter((c) => !c.hidden).length);
    }
  }

  create(task) {
    const card = el("li", { class: "card", "data-task-id": task.id });
    card.parts = {
      title: el("h3", { class: "title" }),
      meta: el("p", { class: "meta" }),
      times: el("p", { class: "times" }),
      bar: el("div", { class: "bar" }),
      note: el("p", { class: "note" }),
      question: el("p", { class: "question" }),
      error: el("p", { class: "error" }),
      actions: el("div", { class: "actions" }),
      detail: new TaskDetail((path) => this.actions.openFile(path)),
    };
    const p = card.parts;
    card.append(p.title, p.meta, p.times, el("div", { class: "progress" }, p.bar), p.note,
      p.question, p.error, p.detail.root, p.actions);
    p.cancel = el("button", { type: "button", class: "cancel", text: "Cancel",
      onclick: () => this.actions.cancelTask(card.task) });
    p.actions.append(p.cancel);
    if (task.human) {
      p.answer = this.answerForm(card);
      card.append(p.answer);
    }
    this.cards.set(task.id, card);
    return card;
  }

  answerForm(card) {
    const text = el("textarea", { name: "text", rows: 3, required: true,
      placeholder: "Your answer (goes to the blackboard)", "aria-label": "Answer" });
    const form = el("form", { class: "answer" }, text,
      el("button", { type: "submit", text: "Answer" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!text.value.trim()) return;
      form.classList.add("busy");
      const ok = await this.actions.answerTask(card.task, text.value);
      form.classList.remove("busy");
      if (ok) text.value = "";
    });
    return form;
  }

  fill(card, task, clockOffset) {
    card.task = task;
    card.dataset.status = task.status;
    card.dataset.role = task.role;
    card.classList.toggle("human", task.human);
    const p = card.parts;
    p.title.textContent = `#${task.id} ${task.title}`;
    p.title.title = task.title;
    p.meta.textContent = task.human ? `${task.role} · answered by a person`
      : `${task.role} · ${task.skill || "default skill"} · attempt ${task.attempt}/${task.max_attempts}`;
    p.times.dataset.startedAt = task.started_at ?? "";
    p.times.dataset.running = task.status === "running" ? "1" : "";
    p.times.dataset.elapsed = task.elapsed_s ?? "";
    p.times.dataset.human = task.human ? task.status : "";
    tickCard(card, clockOffset);
    const fraction = task.status === "done" ? 1 : (task.progress ?? 0);
    p.bar.style.width = `${Math.round(fraction * 100)}%`;
    p.note.textContent = task.progress_note || "";
    p.question.textContent = task.human && task.question ? task.question : "";
    p.error.textContent = task.error || "";
    p.cancel.hidden = TERMINAL.has(task.status);
    if (p.answer) p.answer.hidden = task.status !== "queued";
    p.detail.update(task);
    if (task.human && task.status === "blocked") {
      p.note.textContent = `waits for ${task.depends_on.map((d) => `#${d}`).join(", ")}`;
    }
  }

  progress(taskId, fraction, note) {
    const card = this.cards.get(taskId);
    if (!card) return;
    card.parts.bar.style.width = `${Math.round(fraction * 100)}%`;
    card.parts.note.textContent = note || "";
  }

  // An `agent_step` from the event stream: the card lists it as it arrives.
  step(body) {
    const card = this.cards.get(body.task_id);
    if (card) card.parts.detail.addStep(body);
  }

  tick(clockOffset) {
    for (const card of this.cards.values()) tickCard(card, clockOffset);
  }

  highlight(taskId) {
    const card = this.cards.get(taskId);
    if (!card) return;
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
    card.classList.add("flash");
    setTimeout(() => card.classList.remove("flash"), 1200);
  }
}

function tickCard(card, clockOffset) {
  const { times } = card.parts;
  const human = { queued: "waits for an answer", done: "answered" }[times.dataset.human];
  if (human) {
    times.textContent = human;
    return;
  }
  let seconds = times.dataset.elapsed === "" ? null : Number(times.dataset.elapsed);
  if (times.dataset.running && times.dataset.startedAt) {
    seconds = Date.now() / 1000 + clockOffset - Number(times.dataset.startedAt);
  }
  if (seconds === null) times.textContent = "not started";
  else times.textContent = `${times.dataset.running ? "running for" : "took"} ${duration(seconds)}`;
}

// Put `cards` into `list` in order, moving only those out of place.
function place(list, cards) {
  cards.forEach((card, index) => {
    const here = list.children[index];
    if (here !== card) list.insertBefore(card, here || null);
  });
  while (list.children.length > cards.length) list.lastElementChild.remove();
}
