"""`doctor`'s engine check tells a stopped server, a harvester running, and another
program holding the port apart (it connects first, and asks /health only when
something listens)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harvester.cli.doctor_cmd import check_engine
from harvester.settings import Settings
from tests.free_port import free_port


def _serving(body: dict[str, object]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _serving(request.param))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_nothing_listening_on_the_port_asked_for_is_a_problem_with_what_to_do() -> None:
    port = free_port()
    check = check_engine(Settings(), port=port)
    assert not check.ok
    assert check.detail == f"embedded; not running now at http://127.0.0.1:{port} (--port)"
    assert check.hint == "start it with `harvester up`"


@pytest.mark.parametrize("server", [{"ok": True, "engine": "running"}], indirect=True)
def test_a_harvester_answering_is_running(server: str) -> None:
    check = check_engine(Settings(), url=server)
    assert check.ok and check.detail == f"embedded; running at {server} (--url)"


@pytest.mark.parametrize("server", [{"hello": "world"}], indirect=True)
def test_another_program_on_the_port_is_named_as_such(server: str) -> None:
    check = check_engine(Settings(), url=server)
    assert not check.ok
    assert check.detail == f"{server} answers, but not as the harvester (--url)"
    assert "another program holds the port" in check.hint
