"""library/litellm_wait_ready.py against a loopback server that turns ready."""

from __future__ import annotations

import os
import socket
import stat
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "library"))
import litellm_wait_ready as ready  # noqa: E402 - found through the path above


class Booting(BaseHTTPRequestHandler):
    """503 for the first three requests, then 200, as a booting proxy."""

    asked = 0

    def do_GET(self) -> None:
        type(self).asked += 1
        self.send_response(200 if type(self).asked > 3 else 503)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Booting.asked = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Booting)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/health/readiness"
    httpd.shutdown()


def test_it_returns_at_the_first_200(server: str) -> None:
    status, what, waited = ready.wait(server, timeout=10, interval=0.05)
    assert (status, what) == (200, "200")
    assert Booting.asked == 4
    assert waited < 5


def test_it_gives_up_with_the_last_answer() -> None:
    with socket.socket() as free:  # a loopback port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    status, what, waited = ready.wait(f"http://127.0.0.1:{port}/health/readiness", timeout=0.5, interval=0.1)
    assert status == -1
    assert what == "ConnectionRefusedError"
    assert 0.5 <= waited < 5


def test_the_result_flags_a_timeout_and_names_the_last_answer() -> None:
    url = "http://127.0.0.1:4000/health/readiness"
    assert ready.outcome(url, 200, "200", 1.234) == {"status": 200, "elapsed": 1.23, "timed_out": False}
    failed = ready.outcome(url, -1, "ConnectionRefusedError", 30.4)
    assert failed["timed_out"] is True
    assert failed["msg"] == f"{url} did not answer 200 in 30 s (last answer: ConnectionRefusedError)"


@pytest.mark.skipif(os.geteuid() != 0, reason="the record is given to root")
def test_the_record_is_written_whole_and_removals_done(tmp_path: Path) -> None:
    (tmp_path / "old.pem.last-good").write_text("old")
    record = {
        "path": str(tmp_path),
        "write": [{"name": "served.json", "gid": 0, "mode": "0600"}],
        "contents": ['{"files": {}}\n'],
        "remove": ["old.pem.last-good", "absent.pem"],
    }
    done = ready.write_record(record, check=False)
    assert done == {"changed": True, "recorded": True, "written": ["served.json"], "removed": ["old.pem.last-good"]}
    assert (tmp_path / "served.json").read_text() == '{"files": {}}\n'
    assert stat.S_IMODE((tmp_path / "served.json").stat().st_mode) == 0o600
    assert not (tmp_path / "old.pem.last-good").exists()
    assert ready.write_record(record, check=False)["changed"] is False  # already so: left alone


def test_a_record_not_written_is_said_by_name_without_its_content(tmp_path: Path) -> None:
    (tmp_path / "litellm").write_text("a file where the directory should be")
    record = {"path": str(tmp_path / "litellm"), "write": [{"name": "fp"}], "contents": ["SECRET-x"], "remove": []}
    done = ready.write_record(record, check=False)
    assert done["recorded"] is False
    assert done["changed"] is False
    assert str(tmp_path / "litellm") in done["record_error"]
    assert "SECRET" not in str(done)
