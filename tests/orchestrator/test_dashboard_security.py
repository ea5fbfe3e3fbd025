"""The dashboard's guards: loopback by default, a token beyond it, and no forged change."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from orchestrator.dashboard.settings import DashboardRefused, DashboardSettings
from support.cli import assert_clean_error, swarm
from support.dashboard import CHANGE, ORIGIN, board_client, in_store, seed_session
from taskqueue import NewTask, SqliteStore, TaskStatus

TOKEN = "s3cret-token-of-enough-length"


def make_client(home: Path, settings: DashboardSettings, base_url: str = ORIGIN) -> TestClient:
    return board_client(home, settings, base_url, follow_redirects=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with make_client(home, DashboardSettings(port=8765)) as test_client:
        yield test_client


@pytest.fixture
def task_id(home: Path) -> int:
    _, [task] = seed_session(home, [NewTask(role="researcher", title="keep me")])
    return task


def status_of(home: Path, task_id: int) -> TaskStatus:
    async def get(store: SqliteStore) -> TaskStatus:
        return (await store.get_task(task_id)).status

    return in_store(home, get)


def test_change_without_the_custom_header_is_refused(
    client: TestClient, home: Path, task_id: int
) -> None:
    response = client.post(f"/api/tasks/{task_id}/cancel")

    assert response.status_code == 403
    assert "X-Swarm-Request" in response.json()["error"]
    assert status_of(home, task_id) is TaskStatus.QUEUED


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "http://127.0.0.1:9999"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
], ids=["other-site", "other-port", "opaque-origin", "fetch-metadata"])
def test_change_from_another_origin_is_refused(
    client: TestClient, home: Path, task_id: int, headers: dict[str, str]
) -> None:
    response = client.post(f"/api/tasks/{task_id}/cancel", headers={**CHANGE, **headers})

    assert response.status_code == 403
    assert "refused" in response.json()["error"]
    assert status_of(home, task_id) is TaskStatus.QUEUED


def test_change_from_the_board_itself_is_allowed(
    client: TestClient, home: Path, task_id: int
) -> None:
    response = client.post(f"/api/tasks/{task_id}/cancel", headers={
        **CHANGE, "Origin": ORIGIN, "Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 200, response.text
    assert status_of(home, task_id) is TaskStatus.CANCELLED


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_change_nothing(
    client: TestClient, home: Path, task_id: int, method: str
) -> None:
    response = client.request(method, f"/api/tasks/{task_id}/cancel", headers=CHANGE)
    assert response.status_code == 405
    assert status_of(home, task_id) is TaskStatus.QUEUED


def test_a_cors_preflight_is_never_granted(client: TestClient, task_id: int) -> None:
    response = client.options(f"/api/tasks/{task_id}/cancel", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-swarm-request"})

    assert response.status_code >= 400
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-headers" not in response.headers


def test_a_foreign_host_name_is_refused_on_loopback(home: Path) -> None:
    # DNS rebinding: another site's name resolved to 127.0.0.1 reaches the port.
    with make_client(home, DashboardSettings(port=8765), "http://evil.example:8765") as client:
        response = client.get("/api/sessions")
    assert response.status_code == 403
    assert "loopback" in response.json()["error"]


@pytest.mark.parametrize("base_url", [ORIGIN, "http://localhost:8765", "http://[::1]:8765"])
def test_loopback_names_are_served(home: Path, base_url: str) -> None:
    with make_client(home, DashboardSettings(port=8765), base_url) as client:
        assert client.get("/api/sessions").status_code == 200


def test_responses_forbid_framing_sniffing_and_inline_scripts(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/sessions").headers["cache-control"] == "no-store"


class TestToken:
    @pytest.fixture
    def guarded(self, home: Path) -> Iterator[TestClient]:
        settings = DashboardSettings.checked(host="0.0.0.0", port=8765, token=TOKEN)
        with make_client(home, settings, "http://192.0.2.7:8765") as client:
            yield client

    def test_every_request_needs_the_token(self, guarded: TestClient) -> None:
        for path in ("/", "/api/sessions", "/static/app.js", "/api/events"):
            response = guarded.get(path)
            assert response.status_code == 401, path
        assert "token" in guarded.get("/api/sessions").json()["error"]

    def test_a_wrong_token_is_refused(self, guarded: TestClient) -> None:
        response = guarded.get("/api/sessions", headers={"Authorization": "Bearer wrong"})
        assert response.status_code == 401

    def test_bearer_token_is_accepted(self, guarded: TestClient) -> None:
        response = guarded.get("/api/sessions", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200

    def test_first_visit_with_the_token_sets_a_cookie_and_drops_it_from_the_url(
        self, guarded: TestClient
    ) -> None:
        landing = guarded.get(f"/?token={TOKEN}&x=1")

        assert landing.status_code == 303
        assert landing.headers["location"] == "/?x=1"
        cookie = landing.headers["set-cookie"]
        assert "swarm_token=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        # The client keeps the cookie, as a browser does.
        assert guarded.get("/").status_code == 200
        assert guarded.get("/api/sessions").status_code == 200

    def test_a_change_needs_the_token_and_the_header(
        self, guarded: TestClient, home: Path, task_id: int
    ) -> None:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert guarded.post(f"/api/tasks/{task_id}/cancel", headers=CHANGE).status_code == 401
        assert guarded.post(f"/api/tasks/{task_id}/cancel", headers=auth).status_code == 403
        assert status_of(home, task_id) is TaskStatus.QUEUED
        ok = guarded.post(f"/api/tasks/{task_id}/cancel", headers={**auth, **CHANGE})
        assert ok.status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "::", "example.org"])
def test_a_non_loopback_host_needs_a_token(host: str) -> None:
    with pytest.raises(DashboardRefused, match="needs --token"):
        DashboardSettings.checked(host=host, port=8765, token=None)
    assert DashboardSettings.checked(host=host, port=8765, token=TOKEN).token == TOKEN


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.3.2.1"])
def test_loopback_needs_no_token(host: str) -> None:
    assert DashboardSettings.checked(host=host, port=8765, token=None).loopback


def test_a_short_token_is_refused() -> None:
    with pytest.raises(DashboardRefused, match="at least"):
        DashboardSettings.checked(host="0.0.0.0", port=8765, token="short")


def test_cli_refuses_a_non_loopback_host_without_a_token(tmp_path: Path) -> None:
    result = swarm("dashboard", "--host", "0.0.0.0", home=tmp_path / "ws", timeout=60)
    assert_clean_error(result, "--host 0.0.0.0", "--token")


def test_cli_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = swarm("dashboard", "--port", str(port), home=tmp_path / "ws", timeout=60)
    assert_clean_error(result, f"127.0.0.1:{port}")
