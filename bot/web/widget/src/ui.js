// The widget's DOM, inside a shadow root so the clinic's own styles and ours never mix.
// Every piece of text goes in with textContent: markup in a message is shown, never run.

const TIME_FORMAT = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

function el(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, String(value));
  }
  if (text != null) node.textContent = text;
  return node;
}

function bubbleIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "cc-launcher-icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  svg.append(path);
  return svg;
}

export function buildUi({ config, cssUrl, textColour }) {
  const host = el("div", { id: "clinic-chat-widget" });
  // Hidden until our stylesheet has loaded, so the page never shows an unstyled flash.
  host.style.setProperty("display", "none");
  host.style.setProperty("--cc-primary", config.primaryColor);
  host.style.setProperty("--cc-on-primary", textColour);
  const root = host.attachShadow({ mode: "open" });

  const stylesheet = el("link", { rel: "stylesheet", href: cssUrl });
  const reveal = () => host.style.removeProperty("display");
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);

  const frame = el("div", { class: "cc-frame", "data-position": config.position });

  const teaser = el("div", { class: "cc-teaser", hidden: true });
  const teaserOpen = el("button", { type: "button", class: "cc-teaser-open" }, config.greeting);
  const teaserClose = el("button", { type: "button", class: "cc-teaser-close", "aria-label": "Dismiss" }, "×");
  teaser.append(teaserOpen, teaserClose);

  const launcher = el("button", {
    type: "button",
    class: "cc-launcher",
    "aria-expanded": "false",
    "aria-controls": "cc-panel",
  });
  launcher.append(bubbleIcon());
  launcher.append(el("span", {}, config.title));
  if (!/chat/i.test(config.title)) launcher.append(el("span", { class: "cc-sr" }, " (chat)"));

  const panel = el("section", {
    id: "cc-panel",
    class: "cc-panel",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": "cc-title",
    hidden: true,
  });
  const header = el("div", { class: "cc-header" });
  const close = el("button", { type: "button", class: "cc-close", "aria-label": "Close chat" }, "×");
  header.append(el("h2", { id: "cc-title", class: "cc-title" }, config.title), close);

  const tools = el("div", { class: "cc-tools" });
  const startOver = el("button", { type: "button", class: "cc-tool" }, "Start over");
  const deleteData = el("button", { type: "button", class: "cc-tool" }, "Delete my data");
  tools.append(startOver, deleteData);

  const log = el("div", {
    class: "cc-log",
    role: "log",
    "aria-live": "polite",
    "aria-label": "Conversation",
    tabindex: "0",
  });
  const typing = el("div", { class: "cc-typing", role: "status" });
  const notice = el("div", { class: "cc-notice", role: "alert" });

  const form = el("form", { class: "cc-form", novalidate: true });
  const label = el("label", { for: "cc-input", class: "cc-sr" }, "Message");
  const input = el("input", {
    id: "cc-input",
    class: "cc-input",
    type: "text",
    autocomplete: "off",
    maxlength: "1000",
    placeholder: "Type your message…",
  });
  const send = el("button", { type: "submit", class: "cc-send" }, "Send");
  form.append(label, input, send);

  panel.append(header, tools, log, typing, notice, form);
  frame.append(panel, teaser, launcher);
  root.append(stylesheet, frame);

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function message(from, text, at) {
    const item = el("div", { class: `cc-msg cc-from-${from}` });
    item.append(el("span", { class: "cc-sr" }, from === "bot" ? "Assistant said: " : "You said: "));
    item.append(el("p", { class: "cc-text" }, text));
    const when = new Date(at);
    const meta = el("div", { class: "cc-meta" });
    meta.append(el("time", { datetime: when.toISOString() }, TIME_FORMAT.format(when)));
    item.append(meta);
    log.append(item);
    scrollToEnd();
    return item;
  }

  return {
    host,
    root,
    launcher,
    panel,
    close,
    input,
    form,
    log,
    startOver,
    deleteData,
    teaser,
    teaserOpen,
    teaserClose,

    setOpen(open) {
      panel.hidden = !open;
      launcher.setAttribute("aria-expanded", String(open));
      frame.classList.toggle("cc-open", open);
      if (open) scrollToEnd();
    },

    addBot(text, at) {
      return message("bot", text, at);
    },

    addUser(text, at) {
      return message("user", text, at);
    },

    setPending(item, pending) {
      const mark = item.querySelector(".cc-pending");
      if (pending && !mark) {
        item.querySelector(".cc-meta").append(
          el("span", { class: "cc-pending" }, " · Not sent yet: it will go as soon as we reconnect"),
        );
      } else if (!pending && mark) {
        mark.remove();
      }
    },

    // One set of reply buttons; onChoose(button) is called once, after the set is disabled.
    addChoices(buttons, onChoose, enabled = true) {
      const group = el("div", { class: "cc-choices", role: "group", "aria-label": "Suggested replies" });
      for (const choice of buttons) {
        const button = el("button", { type: "button", class: "cc-choice", disabled: !enabled }, choice.title);
        button.addEventListener("click", () => {
          if (button.disabled) return;
          button.classList.add("cc-chosen");
          button.append(el("span", { class: "cc-sr" }, " (chosen)"));
          onChoose(choice);
        });
        group.append(button);
      }
      log.append(group);
      scrollToEnd();
      return group;
    },

    disableChoices() {
      for (const button of log.querySelectorAll(".cc-choice")) button.disabled = true;
    },

    clearLog() {
      log.replaceChildren();
    },

    showTyping(show) {
      typing.replaceChildren();
      if (show) {
        const dots = el("span", { class: "cc-dots", "aria-hidden": "true" });
        dots.append(el("span"), el("span"), el("span"));
        typing.append(dots, el("span", { class: "cc-typing-text" }, "The assistant is typing…"));
      }
    },

    showNotice(text) {
      if (notice.textContent !== text) notice.textContent = text;
      notice.classList.toggle("cc-visible", Boolean(text));
    },

    showTeaser(show) {
      teaser.hidden = !show;
    },
  };
}
