"""The website chat widget in a real headless Chromium, against the running Rasa, action server and
web app (the shared `stack`): what a visitor sees and does, and the rows reception gets.

Assertions stay on robust things (a stored triage with channel `web`, buttons present and
disabled, the notice and its phone number) because the conversation's wording changes often.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from bot.db.models import Handoff, Triage
from bot.db.session import make_engine, session_factory
from tests.e2e.conftest import cliniko_on
from tests.e2e.servers import ROOT, Stack
from tests.standins.cliniko import ClinikoStandIn

WIDGET_DIR = ROOT / "bot" / "web" / "widget"
AXE = WIDGET_DIR / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "reports"
REPLY_TIMEOUT_MS = 60_000  # a generous wait for a reply on a busy 2-core machine, not a target
MAX_TURNS = 40

# Answers that lead through the whole triage without a red flag; otherwise the first button.
PREFERRED = (
    "Check my knee",
    "Outside of the knee",
    "Gradually, with running",
    "None of these",
    "Yes",
    "Up more than 30%",
    "Skip",
)

# What a runner would type for each question, found by a word of the question.
TYPED_ANSWERS = (
    (re.compile(r"\bwhere\b", re.I), "on the outside of my right knee"),
    (re.compile(r"\b(start|began|begin)\b", re.I), "it crept up over a few weeks of running"),
    (re.compile(r"safety|apply to you", re.I), "none of these"),
    (re.compile(r"predictable", re.I), "yes, always at about 5 km and it settles when I stop"),
    (re.compile(r"downhill", re.I), "yes, downhills are the worst"),
    (re.compile(r"stairs", re.I), "yes, going down stairs hurts"),
    (re.compile(r"weekly|distance", re.I), "I went from 30 to 45 km a week"),
    (re.compile(r"last month|longer than", re.I), "none of these"),
    (re.compile(r"as well|any of these", re.I), "none of these"),
    (re.compile(r"\bold\b|\bage\b", re.I), "I'm 34"),
    (re.compile(r"7 days", re.I), "no"),
)


# --- helpers -----------------------------------------------------------------------------------


def triage_channels(stack: Stack, conversation_id: str) -> list[str]:
    engine = make_engine(stack.database_url)
    try:
        with session_factory(engine)() as session:
            return list(
                session.scalars(select(Triage.channel).where(Triage.conversation_id == conversation_id))
            )
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def _patient_expect() -> Iterator[None]:
    """Playwright's expect waits 5 s by default; a reconnection after a restart takes longer."""
    expect.set_options(timeout=REPLY_TIMEOUT_MS)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, stack: Stack) -> Page:
    page = context.new_page()
    page.goto(stack.web_url + "/")
    return page


def launcher(page: Page):
    return page.locator(".cc-launcher")


def log(page: Page):
    return page.get_by_role("log")


def textbox(page: Page):
    return page.get_by_role("textbox", name="Message")


def open_chat(page: Page) -> None:
    launcher(page).click()
    expect(textbox(page)).to_be_focused()


def session_id(page: Page) -> str:
    return page.evaluate("JSON.parse(localStorage.getItem('clinicChat.v1') || '{}').sessionId || ''")


def bot_count(page: Page) -> int:
    return page.locator(".cc-from-bot").count()


def wait_for_bot_after(page: Page, before: int) -> None:
    expect(page.locator(".cc-from-bot")).not_to_have_count(before)
    page.locator(".cc-from-bot").nth(before).wait_for()


def enabled_choices(page: Page):
    return page.locator(".cc-choices").last.locator(".cc-choice:not([disabled])")


def settle(page: Page) -> None:
    """Wait until the assistant has finished answering: no typing indicator, and a moment with
    no new message (its replies to one message arrive as several events)."""
    count = -1
    while count != bot_count(page):
        count = bot_count(page)
        expect(page.locator(".cc-typing")).to_be_empty()
        page.wait_for_timeout(400)


def drive(page: Page, stack: Stack, act: Callable[[Page], None]) -> str:
    """Repeats `act` (one answer) until the conversation's triage is stored; returns its id."""
    for _ in range(MAX_TURNS):
        settle(page)
        sid = session_id(page)
        if sid and triage_channels(stack, sid):
            return sid
        before = bot_count(page)
        act(page)
        wait_for_bot_after(page, before)
    pytest.fail(
        f"no stored triage after {MAX_TURNS} answers; last messages: {page.locator('.cc-text').all_text_contents()[-4:]}"
    )


def preferred_button(page: Page):
    choices = enabled_choices(page)
    expect(choices.first).to_be_visible()
    titles = [t.strip() for t in choices.all_text_contents()]
    pick = next((i for i, t in enumerate(titles) if t in PREFERRED), 0)
    return choices.nth(pick)


def click_an_answer(page: Page) -> None:
    button = preferred_button(page)  # waits for the set to be on screen
    # Pinned by position: `.last` would move on to the reply's buttons once they arrive.
    groups = page.locator(".cc-choices")
    group = groups.nth(groups.count() - 1)
    button.click()
    # That set is used up: every button in it is disabled, one marked as chosen.
    expect(group.locator(".cc-choice:not([disabled])")).to_have_count(0)
    expect(group.locator(".cc-chosen")).to_have_count(1)


def type_an_answer(page: Page) -> None:
    question = page.locator(".cc-from-bot .cc-text").last.text_content() or ""
    answer = next((text for pattern, text in TYPED_ANSWERS if pattern.search(question)), None)
    if answer is None:  # a question this list does not know: say what its first button says
        answer = (enabled_choices(page).first.text_content() or "yes").strip()
    textbox(page).fill(answer)
    textbox(page).press("Enter")


def focused(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => {
            const host = document.getElementById('clinic-chat-widget');
            const el = (host && host.shadowRoot.activeElement) || document.activeElement;
            return {cls: el.className || '', text: (el.getAttribute('aria-label') || el.textContent || '').trim(),
                    disabled: String(!!el.disabled)};
        }"""
    )


# --- tests -------------------------------------------------------------------------------------


def test_demo_page_embeds_the_widget_without_inline_script(stack: Stack, page: Page) -> None:
    response = page.request.get(stack.web_url + "/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert f"ws://127.0.0.1:{stack.rasa_port}" in csp  # connect-src reaches Rasa's Socket.IO
    assert "<script>" not in response.text()  # every script is a file
    expect(launcher(page)).to_have_accessible_name(re.compile("chat", re.I))
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")


def test_full_triage_by_clicking_buttons_is_stored_with_channel_web(stack: Stack, page: Page) -> None:
    open_chat(page)
    expect(page.get_by_role("dialog")).to_be_visible()
    # issue 17: the emergency number is on the first screen, before the visitor writes anything
    expect(page.locator(".cc-from-bot .cc-text").first).to_contain_text("In an emergency call 000")
    expect(log(page)).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    sid = drive(page, stack, click_an_answer)
    assert triage_channels(stack, sid) == ["web"]
    # every set of buttons offered before the visitor's last answer has been used and disabled
    sets = page.evaluate(
        """() => {
            const root = document.getElementById('clinic-chat-widget').shadowRoot;
            const answers = root.querySelectorAll('.cc-from-user');
            const last = answers[answers.length - 1];
            return [...root.querySelectorAll('.cc-choices')]
                .filter(g => g.compareDocumentPosition(last) & Node.DOCUMENT_POSITION_FOLLOWING)
                .map(g => [...g.querySelectorAll('.cc-choice')].filter(b => !b.disabled).length);
        }"""
    )
    assert len(sets) >= 8 and set(sets) == {0}
    REPORTS.mkdir(exist_ok=True)
    page.screenshot(path=str(REPORTS / "widget-desktop.png"))
    expect(page.locator(".cc-from-bot time").first).to_have_attribute("datetime", re.compile(r"^\d{4}-"))


def test_full_triage_by_typing_is_stored_with_channel_web(stack: Stack, page: Page) -> None:
    open_chat(page)
    # The indicator shows only while the reply is on its way, which on a quiet machine can be
    # shorter than one look at the page: record whether it ever appeared instead.
    page.evaluate(
        """() => {
            const typing = document.getElementById('clinic-chat-widget').shadowRoot.querySelector('.cc-typing');
            window.__sawTyping = false;
            new MutationObserver(() => {
                if (typing.textContent.includes('typing')) window.__sawTyping = true;
            }).observe(typing, { childList: true, subtree: true, characterData: true });
        }"""
    )
    textbox(page).fill("my knee hurts when I run")
    textbox(page).press("Enter")
    wait_for_bot_after(page, 1)  # the widget's own greeting is bubble 1
    assert page.evaluate("() => window.__sawTyping"), "no typing indicator while waiting for the reply"
    sid = drive(page, stack, type_an_answer)
    assert triage_channels(stack, sid) == ["web"]


def test_reload_and_another_page_continue_the_conversation(stack: Stack, page: Page) -> None:
    open_chat(page)
    for _ in range(3):
        settle(page)
        before = bot_count(page)
        click_an_answer(page)
        wait_for_bot_after(page, before)
    settle(page)
    sid = session_id(page)
    said = page.locator(".cc-from-user .cc-text").all_text_contents()
    assert len(sid) == 32 and len(said) == 3

    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()  # it was open: it opens again
    expect(page.locator(".cc-from-user .cc-text")).to_have_text(said)  # restored from the server
    assert session_id(page) == sid
    expect(enabled_choices(page).first).to_be_visible()  # the open question's buttons still work

    page.get_by_role("link", name=re.compile("Locations", re.I)).click()
    page.wait_for_url("**/locations")
    expect(page.locator(".cc-from-user .cc-text")).to_have_text(said)
    sid_after = drive(page, stack, click_an_answer)
    assert sid_after == sid and triage_channels(stack, sid) == ["web"]


def test_a_message_typed_while_rasa_is_down_is_sent_when_it_is_back(stack: Stack, page: Page) -> None:
    open_chat(page)
    click_an_answer(page)  # "Check my knee": the first question arrives
    wait_for_bot_after(page, 1)
    settle(page)
    sid = session_id(page)
    asked = page.locator(".cc-from-bot .cc-text").all_text_contents()[1:]  # all but the greeting
    kept = "on the outside of my right knee"
    stack.stop_process("rasa")
    try:
        notice = page.get_by_role("alert")
        expect(notice).to_contain_text("(07) 3555 0100")  # the clinic's phone (stack settings)
        expect(notice).to_contain_text("000")
        textbox(page).fill(kept)
        textbox(page).press("Enter")
        expect(page.locator(".cc-from-user").last.locator(".cc-pending")).to_contain_text("Not sent yet")
        page.reload()  # even a reload while Rasa is away loses nothing
        expect(page.locator(".cc-from-user .cc-text").last).to_have_text(kept)
        expect(page.locator(".cc-from-user").last.locator(".cc-pending")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("(07) 3555 0100")
    finally:
        stack.start_rasa()
    # socket.io reconnects by itself (with backoff): the history comes back, the kept message
    # goes, and the assistant answers it
    page.wait_for_function(
        """kept => {
            const root = document.getElementById('clinic-chat-widget').shadowRoot;
            const messages = [...root.querySelectorAll('.cc-msg')];
            const mine = messages.map(m => m.classList.contains('cc-from-user')).lastIndexOf(true);
            return mine >= 0 && messages[mine].textContent.includes(kept) && !root.querySelector('.cc-pending')
                && messages.slice(mine + 1).some(m => m.classList.contains('cc-from-bot'));
        }""",
        arg=kept,
    )
    for text in asked:
        expect(page.locator(".cc-from-bot .cc-text").filter(has_text=text).first).to_be_visible()
    expect(page.get_by_role("alert")).to_be_hidden()
    assert session_id(page) == sid
    history = page.request.post(stack.web_url + "/widget/api/history", data={"session_id": sid}).json()
    assert [m["text"] for m in history["messages"] if m["sender"] == "user"].count(kept) == 1  # sent once


def test_markup_in_messages_stays_text(stack: Stack, page: Page) -> None:
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>'
    open_chat(page)
    textbox(page).fill(attack)
    textbox(page).press("Enter")
    wait_for_bot_after(page, 1)
    expect(page.locator(".cc-from-user .cc-text").last).to_have_text(attack)
    settle(page)  # the whole answer is in: Rasa has stored the conversation
    page.reload()  # and again when it comes back from the server
    expect(page.locator(".cc-from-user .cc-text").last).to_have_text(attack)
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".cc-log img, .cc-log script, .cc-log b").count() == 0


def test_the_whole_triage_works_from_the_keyboard(stack: Stack, page: Page) -> None:
    for _ in range(12):  # past the demo page's links to the launcher
        page.keyboard.press("Tab")
        if "cc-launcher" in focused(page)["cls"]:
            break
    assert "cc-launcher" in focused(page)["cls"], "Tab never reached the chat launcher"
    ring = launcher(page).evaluate("b => [getComputedStyle(b).outlineStyle, getComputedStyle(b).boxShadow]")
    assert ring[0] == "solid" and "rgb(17, 17, 17)" in ring[1]  # the focus is visible
    page.keyboard.press("Enter")
    expect(textbox(page)).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert "cc-launcher" in focused(page)["cls"]  # focus goes back where it was
    page.keyboard.press("Enter")
    expect(textbox(page)).to_be_focused()

    def answer_by_keyboard(page: Page) -> None:
        """Shift+Tab from the text box walks back through the newest buttons; Enter picks one."""
        expect(textbox(page)).to_be_focused()
        wanted = (preferred_button(page).text_content() or "").strip()
        for _ in range(12):
            page.keyboard.press("Shift+Tab")
            now = focused(page)
            if "cc-choice" not in now["cls"]:
                break
            if now["text"] == wanted:
                page.keyboard.press("Enter")
                return
        pytest.fail(f"could not reach the button {wanted!r} with Shift+Tab")

    sid = drive(page, stack, answer_by_keyboard)
    assert triage_channels(stack, sid) == ["web"]
    page.keyboard.press("Escape")
    assert "cc-launcher" in focused(page)["cls"]


def _axe_violations(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [1280, 360])
def test_accessibility_audit_has_no_serious_violations(stack: Stack, browser: Browser, width: int) -> None:
    assert AXE.exists(), f"{AXE} is missing: run scripts/build_widget.sh"
    # bypass_csp: the demo page's CSP rightly refuses the injected axe script.
    context = browser.new_context(viewport={"width": width, "height": 780}, bypass_csp=True)
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(stack.web_url + "/")
        assert _axe_violations(page) == []  # closed: the launcher on the clinic's page
        open_chat(page)
        click_an_answer(page)  # messages, a used set of buttons and a fresh one
        wait_for_bot_after(page, 1)
        settle(page)
        page.reload()  # the open panel with its history
        expect(enabled_choices(page).first).to_be_visible()
        page.locator("#clinic-chat-widget").evaluate("h => h.shadowRoot.querySelector('.cc-input').focus()")
        assert _axe_violations(page) == []
    finally:
        context.close()


def test_a_360_px_phone_has_no_sideways_scroll(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(stack.web_url + "/")
        expect(launcher(page)).to_be_visible()
        overflow = "document.documentElement.scrollWidth - window.innerWidth"
        expect(page.locator(".cc-teaser")).to_be_visible()  # the demo's greeting, after its delay
        assert page.evaluate(overflow) <= 0
        REPORTS.mkdir(exist_ok=True)
        page.screenshot(path=str(REPORTS / "widget-360px-closed.png"))
        open_chat(page)
        click_an_answer(page)
        wait_for_bot_after(page, 1)
        settle(page)
        before = bot_count(page)
        textbox(page).fill("averyveryverylongwordwithoutanyspacesthatcouldpushthelayoutsideways" * 2)
        textbox(page).press("Enter")
        wait_for_bot_after(page, before)
        settle(page)
        assert page.evaluate(overflow) <= 0
        assert page.get_by_role("log").evaluate("l => l.scrollWidth - l.clientWidth") <= 0
        box = page.get_by_role("dialog").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        REPORTS.mkdir(exist_ok=True)
        page.screenshot(path=str(REPORTS / "widget-360px.png"))
    finally:
        context.close()


def test_measure_size_and_time_to_first_message(stack: Stack, browser: Browser) -> None:
    """Figures for the README (written to reports/widget_metrics.json), not targets: the widget's
    transfer size, and from a fresh visitor's first message to the assistant's first answer."""
    response = requests.get(
        stack.web_url + "/widget.js", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30
    )
    assert response.headers["content-encoding"] == "gzip"
    script_gzip = response.raw.read()  # the bytes on the wire
    script = gzip.decompress(script_gzip)
    css = (WIDGET_DIR / "static" / "widget.css").read_bytes()
    first_reply_ms, ready_ms = [], []
    for _ in range(5):
        context = browser.new_context()
        context.set_default_timeout(REPLY_TIMEOUT_MS)
        try:
            page = context.new_page()
            started = time.monotonic()
            page.goto(stack.web_url + "/")
            launcher(page).wait_for()
            ready_ms.append((time.monotonic() - started) * 1000)
            open_chat(page)
            sent = page.evaluate("performance.now()")
            textbox(page).fill("hi")
            textbox(page).press("Enter")
            wait_for_bot_after(page, 1)
            first_reply_ms.append(page.evaluate("performance.now()") - sent)
        finally:
            context.close()
    figures = {
        "widget_js_bytes": len(script),
        "widget_js_gzip_bytes": len(script_gzip),
        "widget_css_gzip_bytes": len(gzip.compress(css, 9)),
        "page_load_to_launcher_ms_median": round(statistics.median(ready_ms)),
        "first_message_to_first_reply_ms_median": round(statistics.median(first_reply_ms)),
        "first_message_to_first_reply_ms_runs": [round(x) for x in first_reply_ms],
    }
    REPORTS.mkdir(exist_ok=True)
    Path(REPORTS / "widget_metrics.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    assert len(first_reply_ms) == 5  # every fresh visitor got an answer


def test_the_clinic_config_sets_title_colour_position_and_greeting(
    stack: Stack, context: BrowserContext
) -> None:
    page = context.new_page()
    config = (
        "window.ClinicChat = { title: 'Ask a physio', primaryColor: '#ffd24d', position: 'left',"
        " greetingDelayMs: 0, socketUrl: 'javascript:alert(1)' };"
    )
    page.route(
        "**/widget/demo-config.js",
        lambda route: route.fulfill(body=config, content_type="application/javascript"),
    )
    page.goto(stack.web_url + "/")
    expect(launcher(page)).to_have_text(re.compile("Ask a physio"))
    expect(launcher(page)).to_have_accessible_name(re.compile("chat", re.I))  # even without the word
    colours = launcher(page).evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]")
    assert colours == ["rgb(255, 210, 77)", "rgb(17, 17, 17)"]  # dark text on a light colour: AA
    box = launcher(page).bounding_box()
    assert box is not None and box["x"] < 100  # bottom left
    teaser = page.locator(".cc-teaser")
    expect(teaser).to_be_visible()  # the greeting, at once (delay 0)
    page.locator(".cc-teaser-open").click()
    expect(textbox(page)).to_be_focused()
    expect(teaser).to_be_hidden()
    expect(page.get_by_role("dialog")).to_have_accessible_name("Ask a physio")
    before = bot_count(page)
    click_an_answer(page)  # the bad socketUrl was ignored: the default one answers
    wait_for_bot_after(page, before)


def test_start_over_goes_back_to_the_first_question(stack: Stack, page: Page) -> None:
    open_chat(page)
    click_an_answer(page)
    wait_for_bot_after(page, 1)
    settle(page)
    first_question = enabled_choices(page).all_text_contents()
    before = bot_count(page)
    click_an_answer(page)
    wait_for_bot_after(page, before)
    settle(page)
    before = bot_count(page)
    page.get_by_role("button", name="Start over").click()
    wait_for_bot_after(page, before)
    settle(page)
    expect(enabled_choices(page)).to_have_text(first_question)


def test_delete_my_data_asks_then_erases_the_transcript(stack: Stack, page: Page) -> None:
    open_chat(page)
    textbox(page).fill("hi")
    textbox(page).press("Enter")
    wait_for_bot_after(page, 1)
    settle(page)
    sid = session_id(page)
    before = bot_count(page)
    page.get_by_role("button", name="Delete my data").click()
    wait_for_bot_after(page, before)
    settle(page)
    confirm = page.locator(".cc-choices").last.locator(".cc-choice:not([disabled])")
    expect(confirm.first).to_have_text(re.compile("^Yes", re.I))  # it asks first
    confirm.first.click()
    # the screen is cleared but for the confirmation, then a fresh start under a new id
    expect(page.locator(".cc-from-user")).to_have_count(0)
    settle(page)
    history = page.request.post(stack.web_url + "/widget/api/history", data={"session_id": sid}).json()
    assert [m for m in history["messages"] if m["sender"] == "user"] == []  # the transcript is gone
    expect(page.locator(".cc-from-bot")).to_have_count(1)
    expect(page.locator(".cc-from-bot .cc-text")).to_contain_text("deleted")
    expect(enabled_choices(page).first).to_be_visible()
    page.wait_for_function(
        f"(JSON.parse(localStorage.getItem('clinicChat.v1') || '{{}}').sessionId || '{sid}') !== '{sid}'"
    )
    new_sid = session_id(page)
    assert new_sid and new_sid != sid
    textbox(page).fill("hi")
    textbox(page).press("Enter")
    wait_for_bot_after(page, 1)
    settle(page)
    page.reload()  # the new conversation comes back; nothing of the deleted one
    expect(page.locator(".cc-from-user .cc-text")).to_have_text(["hi"])
    assert session_id(page) == new_sid


def test_action_server_down_gets_a_plain_answer_with_the_phone_number(stack: Stack, page: Page) -> None:
    open_chat(page)
    click_an_answer(page)
    wait_for_bot_after(page, 1)
    settle(page)
    stack.stop_process("actions")
    try:
        before = bot_count(page)
        textbox(page).fill("on the outside of my right knee")
        textbox(page).press("Enter")
        wait_for_bot_after(page, before)
        expect(page.locator(".cc-from-bot .cc-text").last).to_contain_text("(07) 3555 0100")
    finally:
        stack.start_actions()


def test_one_script_tag_on_another_sites_page(stack: Stack, context: BrowserContext) -> None:
    """The clinic's own site is another origin: the tag, the config object inline (that site's
    choice), replies over the socket and history restored through CORS after a reload."""
    # Another origin (host and port differ from the web app's). Chromium lets a page reach a
    # loopback server only from a secure context and with the "local network" permission; on
    # the internet the clinic's site and the web app are both public, so neither applies there.
    site = "http://localhost:9/clinic"
    context.grant_permissions(["local-network-access"])
    html = f"""<!doctype html><html lang="en"><head><title>Clinic</title>
        <script>window.ClinicChat = {{ title: "Chat with the clinic", greetingDelayMs: null }};</script>
        <script src="{stack.web_url}/widget.js" async></script></head>
        <body><main><h1>Our clinic</h1></main></body></html>"""
    page = context.new_page()
    page.route(site, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(site)
    expect(launcher(page)).to_have_text(re.compile("Chat with the clinic"))
    open_chat(page)
    before = bot_count(page)
    click_an_answer(page)
    wait_for_bot_after(page, before)
    settle(page)
    said = page.locator(".cc-from-bot .cc-text").all_text_contents()
    page.reload()
    expect(page.locator(".cc-from-bot .cc-text")).to_have_text(said[1:])  # all but the local greeting
    expect(page.locator(".cc-from-user .cc-text")).to_have_count(1)


def _say(page: Page, text: str) -> None:
    settle(page)
    before = bot_count(page)
    textbox(page).fill(text)
    textbox(page).press("Enter")
    wait_for_bot_after(page, before)


def _click(page: Page, title: str | None = None) -> str:
    """Clicks the button with this title (the first one when None); returns its title."""
    settle(page)
    choices = enabled_choices(page)
    expect(choices.first).to_be_visible()
    button = choices.first if title is None else choices.filter(has_text=title).first
    chosen = (button.text_content() or "").strip()
    before = bot_count(page)
    button.click()
    wait_for_bot_after(page, before)
    return chosen


def test_booking_a_free_time_in_the_clinic_diary(stack: Stack, page: Page, cliniko: ClinikoStandIn) -> None:
    """Issue 18 on the widget: from the triage's "Book an assessment" to an appointment in the
    (stand-in) Cliniko diary, by clicking and typing as a visitor would."""
    cliniko.reset()
    with contextmanager(cliniko_on)(stack, cliniko):
        open_chat(page)
        sid = drive(page, stack, type_an_answer)
        _click(page, "Book an assessment")
        for text in ("Pat Jones", "pat.jones@example.com"):
            _say(page, text)
        _click(page, "Kenmore")
        _click(page, "Any time")
        _click(page, "Yes, I agree")
        settle(page)
        expect(enabled_choices(page).last).to_have_text("None of these suit")
        offered_text = " ".join(page.locator(".cc-from-bot .cc-text").all_text_contents()[-2:])
        assert "Here are the soonest" in offered_text, offered_text
        picked = _click(page)  # the soonest time
        settle(page)
        confirmation = " ".join(page.locator(".cc-from-bot .cc-text").all_text_contents()[-6:])
        assert "You're booked in" in confirmation and "Kenmore" in confirmation, confirmation
        booked = [
            a for a in cliniko.appointments.values() if a.active and a.notes and "chat assistant" in a.notes
        ]
        assert len(booked) == 1, (picked, confirmation)
        engine = make_engine(stack.database_url)
        try:
            with session_factory(engine)() as session:
                [handoff] = session.scalars(select(Handoff).filter_by(conversation_id=sid))
                assert handoff.channel == "web" and handoff.status == "booked"
                assert handoff.cliniko_appointment_id == booked[0].id
        finally:
            engine.dispose()
