"""Webhook fixtures: subscriptions, and a real HTTP receiver on loopback (http.server in a
thread) that checks every delivery's signature with the code docs/webhooks.md gives receivers."""

import http.server
import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.cases.conftest import category, file_case, user  # noqa: F401, F811  (shared fixtures)
from tests.live import free_port
from webhooks.models import Subscription

SECRET = "whsec-test-0123456789abcdef0123456789"
ALL_CASE_TYPES = ["case.reported", "case.accepted", "case.escalated", "case.returned",
                  "case.dispatched", "case.resolved", "case.closed", "case.reopened",
                  "dispatch.signed", "dispatch.refused", "dispatch.overdue"]  # fmt: skip


def documented_verify(clock) -> dict:
    """The receiver's check exactly as docs/webhooks.md prints it (so the page's example is
    proved by every test that delivers), its clock replaced by `clock`."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    code = page.split("## Verifying a delivery", 1)[1].split("```python", 1)[1].split("```")[0]
    namespace: dict = {}
    exec(code, namespace)  # our own documentation, not input
    namespace["time"] = SimpleNamespace(time=clock)
    return namespace


class Receiver:
    """A webhook receiver on 127.0.0.1: verifies each POST, answers `answer` (a status code, or
    a function of the envelope returning one), and keeps what it got. stop() and start() again
    serve the same port, as a receiver that went down and came back."""

    def __init__(self, secret: str = SECRET):
        self.secret, self.port = secret, free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook?token=abc"
        self.answer = 200
        self.clock = time.time  # the receiver's clock, moved by replay tests
        self.documented = documented_verify(lambda: self.clock())
        self.received: list[dict] = []  # every verified envelope, in arrival order
        self.raw: list[tuple[dict, bytes]] = []  # every request's headers and body
        self.refused: list[str] = []  # the signatures of the requests refused
        self.lock = threading.Lock()
        self.server = None

    def start(self) -> "Receiver":
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers.items())
                with receiver.lock:
                    receiver.raw.append((headers, body))
                signature = headers.get("Sanhua-Signature", "")
                if not receiver.documented["verify"](receiver.secret, signature, body):
                    with receiver.lock:
                        receiver.refused.append(signature)
                    self._answer(400)
                    return
                envelope = json.loads(body)
                answer = receiver.answer
                code = answer(envelope) if callable(answer) else answer
                if 200 <= code < 300:
                    with receiver.lock:
                        receiver.received.append(envelope)
                self._answer(code)

            def _answer(self, code: int):
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def ids(self) -> list[str]:
        with self.lock:
            return [envelope["id"] for envelope in self.received]


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def subscribe(user):  # noqa: F811
    """subscribe(url, **fields) → a subscription owned by admin, to every case event type."""

    def make(url: str, **fields) -> Subscription:
        fields.setdefault("event_types", ALL_CASE_TYPES)
        subscription = Subscription(
            name=fields.pop("name", "test"), url=url, secret=SECRET, owner=user("admin"), **fields
        )
        subscription.full_clean()
        subscription.save()
        return subscription

    return make
