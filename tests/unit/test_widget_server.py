"""The widget's server side (bot/web/widget): the script with this server's defaults, the demo
page's CSP, and the history API's validation and transcript (Rasa itself is in tests/e2e)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.settings import get_settings
from bot.web.app import create_app
from bot.web.widget import history, pages

SESSION = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    monkeypatch.setenv("RASA_PUBLIC_URL", "https://chat.clinic.example")
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # nothing listens: Rasa is "down"
    monkeypatch.setenv("CLINIC_PHONE", "(07) 3555 0100")
    bundle = tmp_path / "widget.js"
    bundle.write_text("console.log(__clinicChatServer);")
    monkeypatch.setattr(pages, "BUNDLE", bundle)
    get_settings.cache_clear()
    with TestClient(create_app()) as test_client:
        yield test_client
    get_settings.cache_clear()


def test_the_script_carries_this_servers_defaults_gzipped_and_revalidated(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == "no-cache"
    defaults = json.loads(response.text.split("var __clinicChatServer=", 1)[1].split(";\n", 1)[0])
    assert defaults == {"socketUrl": "https://chat.clinic.example", "clinicPhone": "(07) 3555 0100"}
    again = client.get("/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_an_unbuilt_widget_says_how_to_build_it(client: TestClient, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pages, "BUNDLE", tmp_path / "missing.js")
    response = client.get("/widget.js")
    assert response.status_code == 503 and "build_widget.sh" in response.text


def test_the_demo_page_may_reach_rasa_and_runs_no_inline_script(client: TestClient) -> None:
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "connect-src 'self' https://chat.clinic.example wss://chat.clinic.example;" in csp
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert '<script src="/widget.js" async></script>' in response.text
    assert "<script>" not in response.text
    assert client.get("/locations").status_code == 200
    assert client.get("/widget/widget.css").headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "body",
    [{"session_id": "telegram-42"}, {"session_id": "../../status"}, {"session_id": SESSION.upper()}, {}, []],
)
def test_history_refuses_anything_but_a_widget_session_id(client: TestClient, body) -> None:
    response = client.post("/widget/api/history", json=body)
    assert response.status_code == 400
    assert response.headers["cache-control"] == "no-store"


def test_history_says_plainly_when_rasa_is_down(client: TestClient) -> None:
    response = client.post("/widget/api/history", json={"session_id": SESSION})
    assert response.status_code == 503 and "not reachable" in response.json()["error"]


def test_history_answers_a_cross_origin_preflight(client: TestClient) -> None:
    response = client.options(
        "/widget/api/history",
        headers={"Origin": "https://www.clinic.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Content-Type" in response.headers["access-control-allow-headers"]


def test_the_transcript_is_texts_only_as_the_widget_showed_them() -> None:
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        {
            "event": "bot",
            "text": "Notice.\n\nWhere does it hurt?",
            "timestamp": 2.0,
            "data": {"buttons": [{"title": "Outside of the knee", "payload": '/inform{"x": 1}'}]},
        },
        {
            "event": "user",
            "text": '/inform{"x": 1}',
            "timestamp": 3.0,
            "parse_data": {"intent": {"name": "inform"}},
        },
        {"event": "slot", "name": "pain_location", "value": "lateral", "timestamp": 3.1},
        {"event": "user", "text": "<b>hi</b>", "timestamp": 4.0},
        {"event": "bot", "text": None, "timestamp": 5.0},
    ]
    assert history.transcript(events) == [
        {"sender": "bot", "text": "Notice.", "timestamp": 2.0},
        {
            "sender": "bot",
            "text": "Where does it hurt?",
            "timestamp": 2.0,
            "buttons": [{"title": "Outside of the knee", "payload": '/inform{"x": 1}'}],
        },
        {"sender": "user", "text": "Outside of the knee", "timestamp": 3.0},  # the title, not the payload
        {"sender": "user", "text": "<b>hi</b>", "timestamp": 4.0},  # as typed; the widget shows it as text
    ]
