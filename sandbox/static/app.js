// The sandbox's page: play a roster person, talk to the bot, move its clock.
// No framework: the server sends JSON (/api/state, /api/chats/ID) and says what changed
// through server-sent events (/api/events).
"use strict";

const TEXTS = {
  roles: { office: "Văn phòng", principal: "Hiệu trưởng", teacher: "Giáo viên" },
  guest: "Khách (không có trong danh sách)",
  guestSub: "Một người không có trong danh sách: bot không cho vào.",
  unregistered: "chưa đăng ký",
  unread: (n) => `${n} tin chưa đọc`,
  weekdays: ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"],
  loading: "Đang chuẩn bị dữ liệu mẫu: văn phòng, hiệu trưởng và một giáo viên mỗi trường đang đăng ký, Sở đang phát động phong trào…",
  ready: "Sẵn sàng. Bot thật đang chạy trên máy này với một Telegram giả: không cần token, không cần mạng.",
  offline: "Mất kết nối với bản thử nghiệm (đã dừng?). Đang thử kết nối lại…",
  noDeadline: "Không còn hạn nộp nào phía trước.",
  nextDeadline: (d) => `Hạn nộp tiếp theo: ${d.round} — ${d.text}`,
  edited: "đã sửa",
  contact: (c) => `📱 ${c.name || ""} · ${c.phone}`,
  photo: "Ảnh",
  shareContact: "Chia sẻ số điện thoại của người này (số trong danh sách)",
  showKeyboard: "⌨ Hiện bàn phím của bot",
  clockMoved: (c) => `Đồng hồ đã chuyển đến ${c.time} ${TEXTS.weekdays[c.weekday]}, ${c.date}.`,
  kinds: { campaign: "Phát động", announcement: "Thông báo", reminder: "Nhắc nhở" },
  counts: (c) =>
    `Đã gửi ${num(c.sent)}/${num(c.total)} · đang chờ ${num(c.pending)} · lỗi ${num(c.failed)} · chặn bot ${num(c.blocked)}`,
  done: "xong",
  sending: "đang gửi",
  noDeliveries: "Chưa có lần gửi hàng loạt nào.",
  sub: (p, unit) =>
    `${TEXTS.roles[p.role]} · ${unit} · SĐT ${p.phone}` + (p.registered ? "" : ` · ${TEXTS.unregistered}`),
  errors: {
    empty_text: "Tin nhắn trống.",
    text_too_long: "Tin nhắn dài quá 4.096 ký tự.",
    caption_too_long: "Chú thích dài quá 1.024 ký tự.",
    empty_file: "Tệp rỗng, không gửi được.",
    message_gone: "Tin nhắn này không còn nữa.",
    button_gone: "Nút này không còn nữa.",
    no_deadline: "Không còn hạn nộp nào phía trước.",
    failed: "Không thực hiện được. Thử lại sau giây lát.",
  },
};

const $ = (id) => document.getElementById(id);
const state = {
  data: null, chat: null, messages: new Map(), unitOf: new Map(), botUsername: "",
  stick: true, // the chat is scrolled to its end: new messages (and late images) keep it there
};

function num(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(".", ",")} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")} MB`;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, body) {
  const options = body === undefined ? {} : body instanceof FormData
    ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({ error: "failed" }));
  if (!response.ok) throw new Error(TEXTS.errors[data.error] || TEXTS.errors.failed);
  return data;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

function alertBox(text) {
  $("alert-text").textContent = text;
  const dialog = $("alert");
  if (!dialog.open) dialog.showModal();
}

function fail(error) {
  toast(error && error.message ? error.message : TEXTS.errors.failed);
}

// ---- state: people, clock, deliveries ------------------------------------------------------

async function loadState() {
  const data = await api("/api/state");
  state.data = data;
  state.botUsername = data.bot.username;
  $("status").textContent = data.ready ? TEXTS.ready : TEXTS.loading;
  renderPeople(data);
  renderClock(data);
  renderDeliveries(data.deliveries);
  if (state.chat === null) {
    const wanted = Number(location.hash.slice(1));
    if (wanted && findPerson(wanted)) select(wanted);
  } else {
    showPerson(state.chat); // registered since, say
  }
}

function showPerson(chat) {
  const person = findPerson(chat);
  $("chat-title").textContent = person ? person.name || TEXTS.guest : "";
  $("chat-sub").textContent = person && person.role
    ? TEXTS.sub(person, state.unitOf.get(chat) || "") : TEXTS.guestSub;
}

function findPerson(chat) {
  const data = state.data;
  if (!data) return null;
  if (data.guest && data.guest.chat === chat) return data.guest;
  for (const unit of data.units) {
    const person = unit.people.find((p) => p.chat === chat);
    if (person) return person;
  }
  return null;
}

function personButton(person, unitName) {
  state.unitOf.set(person.chat, unitName);
  const name = person.name || TEXTS.guest;
  const role = person.role ? TEXTS.roles[person.role] : "";
  const badge = person.unread && person.chat !== state.chat
    ? el("span", { class: "badge", "aria-label": TEXTS.unread(person.unread) }, person.unread)
    : null;
  return el("li", {},
    el("button", {
      type: "button", class: "person", "data-chat": person.chat,
      "aria-current": person.chat === state.chat ? "true" : null,
      onclick: () => select(person.chat),
    },
      el("span", { class: "name" }, name),
      badge,
      el("span", { class: "role" }, role,
        person.role && !person.registered ? el("span", { class: "unregistered" }, ` · ${TEXTS.unregistered}`) : null),
    ));
}

function renderPeople(data) {
  const box = $("people");
  const focused = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.chat : null;
  const groups = data.units.map((unit) =>
    el("section", { "aria-labelledby": `unit-${unit.id}` },
      el("h3", { class: "unit", id: `unit-${unit.id}`, style: `padding-left:${unit.depth * 10}px` }, unit.name),
      el("ul", {}, unit.people.map((p) => personButton(p, unit.name)))));
  if (data.guest) {
    groups.push(el("section", { "aria-labelledby": "unit-guest" },
      el("h3", { class: "unit", id: "unit-guest" }, "Ngoài danh sách"),
      el("ul", {}, personButton(data.guest, ""))));
  }
  box.replaceChildren(...groups);
  if (focused) {
    const again = box.querySelector(`[data-chat="${focused}"]`);
    if (again) again.focus();
  }
}

function setUnread(chat, unread) {
  const person = findPerson(chat);
  if (person) person.unread = unread;
  const button = document.querySelector(`.person[data-chat="${chat}"]`);
  if (!button) return;
  const old = button.querySelector(".badge");
  if (old) old.remove();
  if (unread && chat !== state.chat) {
    button.insertBefore(
      el("span", { class: "badge", "aria-label": TEXTS.unread(unread) }, unread),
      button.querySelector(".role"));
  }
}

function renderClock(data) {
  const c = data.clock;
  $("clock-time").textContent = c.time;
  $("clock-day").textContent = `${TEXTS.weekdays[c.weekday]}, ${c.date}`;
  $("clock").setAttribute("datetime", c.iso);
  const next = data.next_deadline;
  $("next-deadline").textContent = next ? TEXTS.nextDeadline(next) : TEXTS.noDeadline;
  $("to-deadline").disabled = !next;
}

function renderDeliveries(items) {
  const list = $("deliveries");
  if (!items.length) {
    list.replaceChildren(el("li", { class: "hint" }, TEXTS.noDeliveries));
    return;
  }
  list.replaceChildren(...items.map((item) => {
    const c = item.counts;
    const finished = c.sent + c.failed + c.blocked;
    return el("li", {},
      el("span", { class: "title" }, `${TEXTS.kinds[item.kind] || item.kind}: ${item.title || "—"}`),
      el("progress", { max: Math.max(c.total, 1), value: finished, "aria-label": TEXTS.counts(c) }),
      el("span", { class: "counts" }, `${TEXTS.counts(c)} · ${item.done ? TEXTS.done : TEXTS.sending}`));
  }));
}

// ---- one chat ---------------------------------------------------------------------------

async function select(chat) {
  if (state.chat !== chat) {
    state.chat = chat;
    state.messages.clear();
    $("messages").replaceChildren();
    history.replaceState(null, "", `#${chat}`);
  }
  for (const button of document.querySelectorAll(".person")) {
    if (Number(button.dataset.chat) === chat) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  setUnread(chat, 0);
  showPerson(chat);
  $("composer").hidden = false;
  await refreshChat(true);
  $("composer-text").focus();
}

let chatTimer = null;
function scheduleChat() {
  if (chatTimer) return;
  chatTimer = setTimeout(() => { chatTimer = null; refreshChat(false).catch(fail); }, 30);
}

let stateTimer = null;
function scheduleState() {
  if (stateTimer) return;
  stateTimer = setTimeout(() => { stateTimer = null; loadState().catch(() => {}); }, 250);
}

async function refreshChat(jump) {
  const chat = state.chat;
  if (chat === null) return;
  const data = await api(`/api/chats/${chat}`);
  if (state.chat !== chat) return;
  const list = $("messages");
  const nearBottom = state.stick;
  renderMessages(data.messages);
  renderReplyKeyboard(data.keyboard);
  renderCommands(data.commands);
  const empty = data.messages.length === 0;
  $("empty").hidden = !empty;
  list.hidden = empty;
  $("empty-description").textContent = data.description || "";
  if (jump || nearBottom) toBottom();
  api(`/api/chats/${chat}/read`, {}).catch(() => {});
}

function toBottom() {
  const list = $("messages");
  list.scrollTop = list.scrollHeight;
  state.stick = true;
}

function renderMessages(messages) {
  const list = $("messages");
  const seen = new Set();
  let previousDate = null;
  let cursor = null; // the last node placed, to keep the order
  for (const message of messages) {
    const key = `${message.from}:${message.id}`;
    seen.add(key);
    if (message.date !== previousDate) {
      const dayKey = `day:${message.date}`;
      seen.add(dayKey);
      let day = state.messages.get(dayKey);
      if (!day) {
        day = { node: el("li", { class: "day" }, message.date), sig: "" };
        state.messages.set(dayKey, day);
      }
      place(list, day.node, cursor);
      cursor = day.node;
      previousDate = message.date;
    }
    const sig = JSON.stringify(message);
    let entry = state.messages.get(key);
    if (!entry) {
      entry = { node: renderMessage(message), sig };
      state.messages.set(key, entry);
    } else if (entry.sig !== sig) {
      // Edited: the same element takes the new content, in place.
      const fresh = renderMessage(message);
      entry.node.className = fresh.className;
      entry.node.replaceChildren(...fresh.childNodes);
      entry.sig = sig;
    }
    place(list, entry.node, cursor);
    cursor = entry.node;
  }
  for (const [key, entry] of state.messages) {
    if (!seen.has(key)) {
      entry.node.remove();
      state.messages.delete(key);
    }
  }
}

function place(list, node, after) {
  const wanted = after ? after.nextSibling : list.firstChild;
  if (wanted !== node) list.insertBefore(node, wanted);
}

function renderMessage(m) {
  const parts = [];
  if (m.photo) {
    const src = `/api/files/${encodeURIComponent(m.photo.file_id)}`;
    parts.push(el("a", { class: "photo", href: src, download: "anh.jpg", title: TEXTS.photo },
      el("img", {
        src: `${src}?inline=1`, alt: m.text || TEXTS.photo, loading: "lazy",
        onload: () => { if (state.stick) toBottom(); },
      })));
  }
  if (m.document) {
    const d = m.document;
    parts.push(el("div", { class: "file" }, "📄 ",
      el("a", { class: "file-link", href: `/api/files/${encodeURIComponent(d.file_id)}`, download: d.name },
        d.name),
      el("span", { class: "sub" }, ` (${size(d.size)})`)));
  }
  if (m.contact) parts.push(el("div", { class: "contact" }, TEXTS.contact(m.contact)));
  if (m.sticker) parts.push(el("div", { class: "text", style: "font-size:2rem" }, m.sticker));
  if (m.text) parts.push(el("div", { class: "text" }, renderText(m.text, m.entities || [])));
  const meta = el("span", { class: "meta" }, m.edited ? `${TEXTS.edited} · ${m.time}` : m.time);
  const bubble = el("div", { class: "bubble" }, parts, meta);
  const item = el("li", { class: `msg ${m.from}`, "data-id": m.id }, bubble);
  if (m.buttons && m.buttons.length) item.append(inlineKeyboard(m));
  return item;
}

function inlineKeyboard(m) {
  return el("div", { class: "inline-keyboard", role: "group", "aria-label": "Nút của tin nhắn" },
    m.buttons.map((row, r) => el("div", { class: "row" }, row.map((button, c) => {
      if (button.kind === "url" && button.url) {
        const start = deepLink(button.url);
        if (start !== null) {
          return el("button", { type: "button", onclick: () => sendText(`/start ${start}`) }, button.text);
        }
        return el("a", { href: button.url, target: "_blank", rel: "noopener" }, button.text);
      }
      return el("button", {
        type: "button",
        onclick: () => api(`/api/chats/${state.chat}/press`, { message_id: m.id, row: r, column: c }).catch(fail),
      }, button.text);
    }))));
}

// A t.me link to this bot with ?start=… opens the bot and sends /start …, as Telegram does.
function deepLink(url) {
  const match = /^https?:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]+)$/.exec(url);
  return match && match[1].toLowerCase() === state.botUsername.toLowerCase() ? match[2] : null;
}

// Telegram entities (offsets in UTF-16 code units, as JavaScript strings count) laid out
// as nested HTML elements; the text itself is only ever inserted as text.
function renderText(text, entities) {
  const sorted = entities
    .filter((e) => e.length > 0 && e.offset >= 0 && e.offset + e.length <= text.length)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  return build(text, sorted, 0, text.length, false);
}

const PLAIN_INSIDE = ["text_link", "url", "code", "pre"];

function build(text, entities, start, end, plain) {
  const fragment = document.createDocumentFragment();
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    if (entity.offset < pos) { i++; continue; } // overlapping entities: the first one wins
    const stop = entity.offset + entity.length;
    fragment.append(linkCommands(text.slice(pos, entity.offset), plain));
    const inner = [];
    let j = i + 1;
    while (j < entities.length && entities[j].offset < stop) {
      if (entities[j].offset + entities[j].length <= stop) inner.push(entities[j]);
      j++;
    }
    const content = build(text, inner, entity.offset, stop, plain || PLAIN_INSIDE.includes(entity.type));
    fragment.append(wrap(entity, content, text.slice(entity.offset, stop)));
    pos = stop;
    i = j;
  }
  fragment.append(linkCommands(text.slice(pos, end), plain));
  return fragment;
}

function wrap(entity, inner, whole) {
  const tags = { bold: "strong", italic: "em", underline: "u", strikethrough: "s", code: "code", pre: "pre",
    blockquote: "blockquote", expandable_blockquote: "blockquote" };
  if (entity.type === "text_link" || entity.type === "url") {
    const href = entity.type === "url" ? whole : entity.url;
    const start = deepLink(href);
    if (start !== null) {
      return el("button", { type: "button", class: "command-link", onclick: () => sendText(`/start ${start}`) }, inner);
    }
    const safe = /^(https?:|tg:|mailto:)/i.test(href) ? href : null;
    return el("a", { href: safe, target: "_blank", rel: "noopener" }, inner);
  }
  if (entity.type === "spoiler") {
    const span = el("span", { class: "spoiler", tabindex: "0", onclick: () => span.classList.add("shown") }, inner);
    return span;
  }
  return el(tags[entity.type] || "span", {}, inner);
}

// /commands in the bot's texts can be tapped, as in Telegram.
function linkCommands(text, inLink) {
  const fragment = document.createDocumentFragment();
  if (inLink) { fragment.append(text); return fragment; }
  const pattern = /(^|[\s(«"])(\/[a-z][a-z0-9_]{1,31})(?![\w/])/g;
  let last = 0;
  let match;
  while ((match = pattern.exec(text)) !== null) {
    const at = match.index + match[1].length;
    fragment.append(text.slice(last, at));
    const command = match[2];
    fragment.append(el("button", { type: "button", class: "command-link", onclick: () => sendText(command) }, command));
    last = at + command.length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

let keyboardShown = false;
function renderReplyKeyboard(keyboard) {
  const box = $("reply-keyboard");
  if (!keyboard) { box.hidden = true; box.replaceChildren(); return; }
  box.hidden = false;
  if (keyboard.hidden && !keyboardShown) {
    box.replaceChildren(el("button", { type: "button", onclick: () => { keyboardShown = true; refreshChat(false).catch(fail); } }, TEXTS.showKeyboard));
    return;
  }
  box.replaceChildren(...keyboard.rows.map((row) => el("div", { class: "row" }, row.map((button) =>
    el("button", {
      type: "button",
      title: button.contact ? TEXTS.shareContact : null,
      onclick: () => {
        keyboardShown = false;
        const done = button.contact
          ? api(`/api/chats/${state.chat}/contact`, {})
          : api(`/api/chats/${state.chat}/messages`, { text: button.text });
        done.catch(fail);
      },
    }, button.text)))));
  if (keyboard.placeholder) $("composer-text").placeholder = keyboard.placeholder;
}

function renderCommands(commands) {
  const box = $("commands");
  box.replaceChildren(...commands.map((c) =>
    el("button", { type: "button", onclick: () => { toggleMenu(false); sendText(`/${c.command}`); } },
      el("span", { class: "command" }, `/${c.command}`), ` — ${c.description}`)));
  $("menu").disabled = commands.length === 0;
}

function toggleMenu(open) {
  const box = $("commands");
  box.hidden = !open;
  $("menu").setAttribute("aria-expanded", String(open));
}

async function sendText(text) {
  if (state.chat === null) return;
  try {
    await api(`/api/chats/${state.chat}/messages`, { text });
  } catch (error) { fail(error); }
}

async function sendFile(input, kind) {
  const file = input.files && input.files[0];
  input.value = "";
  if (!file || state.chat === null) return;
  const form = new FormData();
  form.append("as", kind);
  const caption = $("composer-text").value.trim();
  form.append("caption", caption);
  form.append("file", file, file.name);
  try {
    await api(`/api/chats/${state.chat}/files`, form);
    $("composer-text").value = "";
  } catch (error) { fail(error); }
}

// ---- the clock --------------------------------------------------------------------------

async function moveClock(step, button) {
  const buttons = document.querySelectorAll("[data-step]");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const data = await api("/api/clock", { step });
    toast(TEXTS.clockMoved(data.clock));
  } catch (error) {
    fail(error);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    await loadState().catch(() => {});
    button.focus();
  }
}

// ---- wiring -----------------------------------------------------------------------------

function connect() {
  const events = new EventSource("/api/events");
  events.onopen = () => { loadState().then(() => refreshChat(false)).catch(() => {}); };
  events.onerror = () => { $("status").textContent = TEXTS.offline; };
  events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "chat") {
      if (event.chat === state.chat) scheduleChat();
      else setUnread(event.chat, event.unread);
      scheduleState();
    } else if (event.type === "answer") {
      if (event.chat !== state.chat) return;
      if (event.alert) alertBox(event.text); else toast(event.text);
    } else {
      scheduleState();
      if (event.type === "clock") scheduleChat();
    }
  };
}

function init() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("composer-text");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    sendText(text);
    input.focus();
  });
  $("composer-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("menu").addEventListener("click", () => toggleMenu($("commands").hidden));
  $("messages").addEventListener("scroll", () => {
    const list = $("messages");
    state.stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  });
  $("start").addEventListener("click", () => sendText("/start"));
  $("file-document").addEventListener("change", (event) => sendFile(event.target, "document"));
  $("file-photo").addEventListener("change", (event) => sendFile(event.target, "photo"));
  for (const button of document.querySelectorAll("[data-step]")) {
    button.addEventListener("click", () => moveClock(button.dataset.step, button));
  }
  window.addEventListener("hashchange", () => {
    const wanted = Number(location.hash.slice(1));
    if (wanted && wanted !== state.chat && findPerson(wanted)) select(wanted).catch(fail);
  });
  loadState().catch(fail);
  connect();
}

document.addEventListener("DOMContentLoaded", init);
