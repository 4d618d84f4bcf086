// The clinic's chat widget: one <script src=".../widget.js" async> on any page of the site.
// Talks to Rasa's Socket.IO channel (socket.io-client from npm, bundled by esbuild) with
// session persistence: the session id lives in localStorage, so a reload or another page of the
// site continues the same conversation, restored from the server.

import { io } from "socket.io-client";

import { readConfig, textColourOn } from "./config.js";
import { fetchHistory } from "./history.js";
import { storage } from "./storage.js";
import { buildUi } from "./ui.js";

const STARTERS = [
  { title: "Check my knee", payload: "Check my knee" },
  { title: "Talk to a person", payload: "Talk to a person" },
];
// Shown before the person writes anything: the emergency number comes first, as on Telegram
// (the assistant's own notice follows the first message).
const INTRO =
  "In an emergency call 000. Hi! I'm the clinic's automated assistant for runners with knee pain, not a clinician. Tell me what's going on, or tap an option.";
// The assistant normally answers within a second or two; after this, stop showing "typing".
const TYPING_GIVE_UP_MS = 45000;

function lostConnectionText(phone) {
  const call = phone ? ` If it's urgent, call the clinic on ${phone}.` : "";
  return (
    "We can't reach the assistant right now. Trying again… Anything you type will be sent once " +
    `we're connected.${call} In an emergency call 000.`
  );
}

function startWidget(server, scriptUrl) {
  const config = readConfig(server, window.ClinicChat);
  const assets = new URL("/widget/", scriptUrl);
  const ui = buildUi({
    config,
    cssUrl: new URL("widget.css", assets).href,
    textColour: textColourOn(config.primaryColor),
  });
  document.body.append(ui.host);

  let sessionId = storage.sessionId();
  let queue = storage.unsent().map((item) => ({ ...item }));
  const pendingBubbles = new Map();
  let socket = null;
  let ready = false; // connected, and in the session's room
  let started = false;
  let typingTimer = null;
  let historyShown = false;
  let lastBotText = ""; // shown again when the conversation is deleted

  function setTyping(show) {
    clearTimeout(typingTimer);
    ui.showTyping(show);
    if (show) typingTimer = setTimeout(() => ui.showTyping(false), TYPING_GIVE_UP_MS);
  }

  function saveQueue() {
    storage.setUnsent(queue.map(({ message, label, at }) => ({ message, label, at })));
  }

  function flush() {
    if (!ready || !socket || queue.length === 0) return;
    const sending = queue;
    queue = [];
    for (const item of sending) {
      socket.emit("user_uttered", { message: item.message, session_id: sessionId });
      const bubble = pendingBubbles.get(item);
      if (bubble) ui.setPending(bubble, false);
      pendingBubbles.delete(item);
    }
    saveQueue();
    setTyping(true);
  }

  function send(message, label) {
    const text = message.trim().slice(0, 1000);
    if (!text) return;
    ui.disableChoices();
    const item = { message: text, label: (label || text).slice(0, 1000), at: Date.now() };
    const bubble = ui.addUser(item.label, item.at);
    pendingBubbles.set(item, bubble);
    queue.push(item);
    saveQueue();
    if (!ready) ui.setPending(bubble, true);
    flush();
  }

  function choose(choice) {
    send(typeof choice.payload === "string" && choice.payload ? choice.payload : choice.title, choice.title);
    ui.input.focus();
  }

  function showBot(message, at, choicesEnabled = true) {
    if (!message || typeof message !== "object") return;
    if (typeof message.text === "string" && message.text) {
      ui.addBot(message.text, at);
      lastBotText = message.text;
    }
    const replies = message.quick_replies || message.buttons;
    if (Array.isArray(replies) && replies.length) {
      const buttons = replies
        .filter((b) => b && typeof b.title === "string")
        .map((b) => ({ title: b.title, payload: typeof b.payload === "string" ? b.payload : b.title }));
      if (buttons.length) ui.addChoices(buttons, choose, choicesEnabled);
    }
  }

  // The person's data was deleted on the server: the screen keeps only the confirmation, and
  // the next message starts a new conversation under a new id.
  function forgetConversation() {
    const confirmation = lastBotText;
    ui.clearLog();
    if (confirmation) ui.addBot(confirmation, Date.now());
    ui.addChoices(STARTERS, choose);
    sessionId = null;
    storage.setSessionId(null);
    ready = false; // until the new id is confirmed
    socket.emit("session_request", { session_id: null });
  }

  function connect() {
    socket = io(config.socketUrl, {
      path: "/socket.io",
      // Rasa's Socket.IO server answers browsers from other origins over websockets without
      // any CORS set-up; long-polling would need Rasa's --cors.
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      randomizationFactor: 0.5,
    });
    socket.on("connect", () => {
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", async (confirmed) => {
      const id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
      if (typeof id !== "string") return;
      sessionId = id;
      storage.setSessionId(id);
      ui.showNotice("");
      if (!historyShown) historyShown = await showHistory(); // it failed while Rasa was away
      ready = socket.connected;
      flush();
    });
    socket.on("bot_uttered", (message) => {
      setTyping(false);
      if (message && message.clinic_event === "data_deleted") forgetConversation();
      else showBot(message, Date.now());
    });
    socket.on("disconnect", (reason) => {
      ready = false;
      setTyping(false);
      if (reason === "io client disconnect") return;
      ui.showNotice(lostConnectionText(config.clinicPhone));
      // The server closing the socket on purpose is not retried by socket.io itself.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 2000);
    });
    socket.on("connect_error", () => {
      ready = false;
      ui.showNotice(lostConnectionText(config.clinicPhone));
    });
  }

  // The conversation so far, then anything typed but not sent yet. Returns false when the web
  // app (or Rasa behind it) can't be reached; it is tried again once the socket is back.
  async function showHistory() {
    let history;
    try {
      history = await fetchHistory(new URL("api/history", assets).href, sessionId);
    } catch (_) {
      return false;
    }
    ui.clearLog();
    history.forEach((m, index) => {
      const at = typeof m.timestamp === "number" ? m.timestamp * 1000 : Date.now();
      if (m.sender === "user") ui.addUser(m.text, at);
      else showBot(m, at, index === history.length - 1 && queue.length === 0);
    });
    for (const item of queue) {
      const bubble = ui.addUser(item.label, item.at || Date.now());
      ui.setPending(bubble, true);
      pendingBubbles.set(item, bubble);
    }
    return true;
  }

  async function start() {
    if (started) return;
    started = true;
    if (sessionId) {
      historyShown = await showHistory();
    } else {
      historyShown = true;
      if (queue.length === 0) {
        ui.addBot(INTRO, Date.now());
        ui.addChoices(STARTERS, choose);
      }
    }
    if (!historyShown) {
      for (const item of queue) {
        const bubble = ui.addUser(item.label, item.at || Date.now());
        ui.setPending(bubble, true);
        pendingBubbles.set(item, bubble);
      }
    }
    connect();
  }

  function open({ focus = true } = {}) {
    ui.setOpen(true);
    ui.showTeaser(false);
    storage.setOpen(true);
    start();
    if (focus) ui.input.focus();
  }

  function close() {
    ui.setOpen(false);
    storage.setOpen(false);
    ui.launcher.focus();
  }

  ui.launcher.addEventListener("click", () => (ui.panel.hidden ? open() : close()));
  ui.close.addEventListener("click", close);
  ui.panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.input.value;
    if (!text.trim()) return;
    ui.input.value = "";
    send(text);
  });
  ui.startOver.addEventListener("click", () => send("start over", "Start over"));
  ui.deleteData.addEventListener("click", () => send("delete my data", "Delete my data"));
  ui.teaserOpen.addEventListener("click", () => open());
  ui.teaserClose.addEventListener("click", () => {
    storage.dismissTeaser();
    ui.showTeaser(false);
  });

  // Back after a reload or on another page: reopen as it was, without taking the focus.
  if (storage.wasOpen()) open({ focus: false });
  else if (queue.length) start();
  else if (config.greetingDelayMs !== null && !sessionId && !storage.teaserDismissed()) {
    setTimeout(() => {
      if (ui.panel.hidden && !started) ui.showTeaser(true);
    }, config.greetingDelayMs);
  }
}

(function boot() {
  // The web app wraps this bundle in a function that defines its defaults (socket URL, phone).
  // eslint-disable-next-line no-undef
  const server = typeof __clinicChatServer !== "undefined" ? __clinicChatServer : {};
  const script = document.currentScript;
  const scriptUrl = script && script.src ? script.src : window.location.href;
  if (window.__clinicChatStarted) return; // the tag pasted twice
  window.__clinicChatStarted = true;
  if (document.body) startWidget(server, scriptUrl);
  else document.addEventListener("DOMContentLoaded", () => startWidget(server, scriptUrl));
})();
