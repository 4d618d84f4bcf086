"""The reception screen in a real headless Chromium against the running assistant: a person
books over Rasa (REST), and a receptionist logs in, sees the handoff arrive without reloading,
reads the conversation, records the follow-up, exports the queue and logs out.

Asserts on what the receptionist sees and on the person's own words, not on the assistant's
wording (which changes)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

import requests
from playwright.sync_api import expect

from tests.e2e.servers import ROOT, VENV_APP, Chat, Stack

PASSWORD = "reception e2e password"
CODE_RE = re.compile(r"KNE-[A-Z0-9]{5}")
PERSON_SAYS = ("the outside of my right knee", "went from 30 to 45 km a week", "Sam Browser")


def create_staff_account(stack: Stack, username: str) -> None:
    """As `make user NAME=...` does, with the password on standard input (not a terminal)."""
    done = subprocess.run(
        [str(VENV_APP / "bin" / "python"), "-m", "bot.web.reception.users", username],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=stack.env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def book_after_triage(chat: Chat) -> str:
    """A runner with an ITBS story answers the questions and asks for a booking; returns the
    reference code the assistant gives."""
    chat.answer_all(
        "hi",
        "my knee hurts when I run",
        PERSON_SAYS[0],
        "it crept up over a few weeks of running",
        "none of these",
        "yes, always at about 5 km and it settles when I stop",
        "yep, downhills are the worst",
        "only when I go down the stairs",
        PERSON_SAYS[1],
        "none of these",
        "no",
        "I'm 34",
    )
    book = next((b for b in chat.buttons if "book" in b.lower()), "I'd like to book an appointment")
    chat.answer_all(
        book, PERSON_SAYS[2], "0412 345 678", "Jindalee", "weekday mornings before 9", "Yes, I agree"
    )
    found = CODE_RE.search(chat.text)
    assert found, chat.text
    return found.group(0)


def test_receptionist_follows_up_a_handoff_from_a_real_conversation(stack: Stack, browser) -> None:
    create_staff_account(stack, "robin")
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    csp_violations: list[str] = []
    page.on(
        "console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None
    )
    try:
        # The queue is closed without a login.
        page.goto(f"{stack.web_url}/reception")
        expect(page).to_have_url(re.compile(r"/reception/login"))
        page.get_by_label("Username").fill("robin")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")

        page.get_by_label("Username").fill("robin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Handoffs")).to_be_visible()
        expect(page.locator("#live.connected")).to_be_attached()  # live updates are listening
        page.evaluate("window.stillTheSamePage = true")

        # Meanwhile a runner books through the assistant.
        chat = Chat(stack)
        code = book_after_triage(chat)

        # The new handoff appears in the open queue without a reload, with its details.
        row = page.locator(f'tr[data-code="{code}"]')
        expect(row).to_be_visible(timeout=30_000)
        assert page.evaluate("window.stillTheSamePage === true")
        for shown in (
            "Sam Browser",
            "+61412345678",
            "Jindalee",
            "weekday mornings before 9",
            "Running assessment",
        ):
            expect(row).to_contain_text(shown)
        expect(page.locator("#live")).to_contain_text(code)

        # Its page: the answers and the reasons in plain words, and the whole conversation.
        row.get_by_role("link", name=code).click()
        expect(page.get_by_role("heading", name=re.compile(code))).to_be_visible()
        triage = page.locator("#triage")
        expect(triage).to_contain_text("Outside of the knee")
        expect(triage).to_contain_text("+50 % per week")
        expect(triage.locator("ul.reasons li").first).to_be_visible()
        transcript = page.locator("#transcript")
        for words in PERSON_SAYS:
            expect(transcript.locator("li.person", has_text=words)).to_have_count(1)
        assert transcript.locator("li.assistant").count() >= 10
        first_reply = chat_reply_text(stack, chat)
        expect(transcript.locator("li.assistant").first).to_contain_text(first_reply[:40])

        # Follow-up: booked, with a note; the history says who, from and to, and the note.
        page.get_by_label("Status").select_option("booked")
        page.get_by_label("Note").fill("Booked Tuesday 7:30 with Alex at Jindalee")
        page.get_by_role("button", name="Save").click()
        history = page.locator("#history")
        expect(history).to_contain_text("New → Booked")
        expect(history).to_contain_text("Booked Tuesday 7:30 with Alex at Jindalee")
        expect(history).to_contain_text("robin")
        expect(page.get_by_role("status")).to_contain_text("Saved")

        # Export the filtered queue.
        page.get_by_role("link", name="Back to the queue").click()
        page.get_by_label("Search").fill(code)
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("tbody tr")).to_have_count(1)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Export CSV").click()
        exported = list(
            csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8")))
        )
        assert [r["Reference code"] for r in exported] == [code]
        assert exported[0]["Status"] == "Booked" and exported[0]["Name"] == "Sam Browser"
        assert exported[0]["Contact"] == "'+61412345678"  # neutralised for spreadsheets

        # Log out: the queue is closed again, and the old cookie is worth nothing.
        [cookie] = [c for c in context.cookies() if c["name"] == "reception_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] in ("Lax", "Strict") and cookie["expires"] > 0
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"/reception/login"))
        page.goto(f"{stack.web_url}/reception")
        expect(page).to_have_url(re.compile(r"/reception/login"))
        expect(page.get_by_text("Sam Browser")).to_have_count(0)
        replay = requests.get(
            f"{stack.web_url}/reception/export.csv",
            cookies={"reception_session": cookie["value"]},
            timeout=10,
        )
        assert replay.status_code == 401 and code not in replay.text
        assert csp_violations == []
    finally:
        context.close()


def chat_reply_text(stack: Stack, chat: Chat) -> str:
    """The assistant's first reply in this conversation, as Rasa's tracker has it."""
    events = chat.tracker()["events"]
    return next(e["text"] for e in events if e.get("event") == "bot" and e.get("text"))


def _logged_in(stack: Stack, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{stack.web_url}/reception/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = session.post(
        f"{stack.web_url}/reception/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        timeout=10,
    )
    assert done.ok and done.url.endswith("/reception"), done.text[:300]
    return session


def test_delete_my_data_removes_the_handoff_and_its_follow_up_from_reception(stack: Stack) -> None:
    from sqlalchemy import func, select

    from bot.db.models import HandoffStatusChange
    from bot.db.session import make_engine, session_factory

    create_staff_account(stack, "kim")
    staff = _logged_in(stack, "kim")
    chat = Chat(stack)
    chat.say("I'd like to book an appointment")
    chat.answer_all("Robin Hale", "robin.hale@example.com", "Kenmore", "Saturdays", "Yes, I agree")
    found = CODE_RE.search(chat.text)
    assert found, chat.text
    code = found.group(0)

    page = staff.get(f"{stack.web_url}/reception/handoffs/{code}", timeout=30)
    assert page.status_code == 200 and "Robin Hale" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    saved = staff.post(
        f"{stack.web_url}/reception/handoffs/{code}",
        data={"status": "could_not_reach", "note": "Left a message for Robin", "csrf_token": token},
        timeout=30,
    )
    assert saved.ok and "Left a message for Robin" in saved.text

    chat.say("please delete my data")
    chat.say("Yes")

    gone = staff.get(f"{stack.web_url}/reception/handoffs/{code}", timeout=30)
    assert gone.status_code == 404 and "Robin Hale" not in gone.text
    queue = staff.get(f"{stack.web_url}/reception", params={"q": "Robin Hale"}, timeout=30)
    assert code not in queue.text and "No handoffs match" in queue.text
    engine = make_engine(stack.database_url)
    try:
        with session_factory(engine)() as session:
            notes = session.scalar(
                select(func.count())
                .select_from(HandoffStatusChange)
                .where(HandoffStatusChange.note == "Left a message for Robin")
            )
        assert notes == 0
    finally:
        engine.dispose()
