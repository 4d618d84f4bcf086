// What the widget keeps in the visitor's browser (localStorage, this site only): the random
// session id, whether the panel was open, and messages typed but not yet sent. The conversation
// itself is fetched from the server; nothing else is stored here.

const KEY = "clinicChat.v1";

function read() {
  try {
    const value = JSON.parse(window.localStorage.getItem(KEY) || "{}");
    return value && typeof value === "object" ? value : {};
  } catch (_) {
    return {}; // storage blocked (private mode, policy): the chat still works for this page
  }
}

function write(state) {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(state));
  } catch (_) {
    /* storage blocked: nothing to keep */
  }
}

const SESSION_RE = /^[0-9a-f]{32}$/;

export const storage = {
  sessionId() {
    const id = read().sessionId;
    return typeof id === "string" && SESSION_RE.test(id) ? id : null;
  },
  setSessionId(id) {
    write({ ...read(), sessionId: id });
  },
  wasOpen() {
    return read().open === true;
  },
  setOpen(open) {
    write({ ...read(), open });
  },
  unsent() {
    const queue = read().unsent;
    return Array.isArray(queue)
      ? queue.filter((m) => m && typeof m.message === "string" && typeof m.label === "string")
      : [];
  },
  setUnsent(queue) {
    write({ ...read(), unsent: queue });
  },
  teaserDismissed() {
    return read().teaserDismissed === true;
  },
  dismissTeaser() {
    write({ ...read(), teaserDismissed: true });
  },
};
