// The embedding page's settings (window.ClinicChat, docs/contracts.md "Web app") over the
// server's defaults (injected by the web app when it serves /widget.js). Anything malformed
// falls back to the default: a typo on the clinic's site must not break the chat.

const DEFAULTS = {
  title: "Chat with us",
  primaryColor: "#0b5d4b",
  position: "right",
  greetingDelayMs: 3000,
  greeting: "Knee pain from running? I can help you work out what to do next.",
  socketUrl: "",
  clinicPhone: "",
};

function text(value, fallback, max) {
  return typeof value === "string" && value.trim() ? value.trim().slice(0, max) : fallback;
}

function hexColour(value, fallback) {
  if (typeof value !== "string") return fallback;
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(value.trim());
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`.toLowerCase();
  return /^#[0-9a-f]{6}$/i.test(value.trim()) ? value.trim().toLowerCase() : fallback;
}

function httpUrl(value, fallback) {
  if (typeof value !== "string" || !value) return fallback;
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href.replace(/\/$/, "") : fallback;
  } catch (_) {
    return fallback;
  }
}

export function readConfig(server, page) {
  const base = { ...DEFAULTS, ...(server || {}) };
  const given = page && typeof page === "object" ? page : {};
  let delay = base.greetingDelayMs;
  if (given.greetingDelayMs === null || given.greetingDelayMs === false) delay = null;
  else if (Number.isFinite(given.greetingDelayMs) && given.greetingDelayMs >= 0) delay = given.greetingDelayMs;
  return {
    title: text(given.title, base.title, 60),
    primaryColor: hexColour(given.primaryColor, base.primaryColor),
    position: given.position === "left" || given.position === "right" ? given.position : base.position,
    greetingDelayMs: delay,
    greeting: text(given.greeting, base.greeting, 200),
    socketUrl: httpUrl(given.socketUrl, httpUrl(base.socketUrl, window.location.origin)),
    clinicPhone: text(base.clinicPhone, "", 40),
  };
}

// WCAG relative luminance and contrast ratio, to pick readable text on the clinic's colour.
function luminance(hex) {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// White or near-black, whichever reads better on `background` (one of them always passes AA).
export function textColourOn(background) {
  return contrast(background, "#ffffff") >= contrast(background, "#111111") ? "#ffffff" : "#111111";
}
