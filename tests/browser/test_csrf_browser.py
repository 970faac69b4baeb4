"""A real browser on a page of another local port tries the app's forms (issue 18): it is refused, even
after it sets the app's CSRF cookie to a value of its choosing (cookies ignore ports)."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from artifacts import screenshot

from disentangle.workspace import Workspace

pytestmark = pytest.mark.browser

ATTACK = """<!doctype html><html><body>
<script>document.cookie = "disentangle_csrf=attacker-chosen-value-1234567890; path=/";</script>
<form id="f" method="post" action="{target}/act/request/save">
  <input name="csrf_token" value="attacker-chosen-value-1234567890">
  <input name="agency" value="x"><input name="topic" value="agreements">
  <input name="name" value="Mallory"><input name="email" value="m@example.org">
</form>
<script>document.getElementById("f").submit();</script>
</body></html>"""


@pytest.fixture(scope="module")
def app(
    registry_copy: Callable[[str], Workspace], serve: Callable[[Workspace], str]
) -> tuple[str, Workspace]:
    workspace = registry_copy("browser-csrf")
    return serve(workspace), workspace


@pytest.fixture(scope="module")
def attacker(app: tuple[str, Workspace]) -> Iterator[str]:
    """A page on another port of 127.0.0.1 that posts the app's form by itself."""
    page = ATTACK.replace("{target}", app[0]).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/"
    server.shutdown()


def test_a_page_on_another_port_cannot_post_the_apps_forms(
    browser: Any, app: tuple[str, Workspace], attacker: str
) -> None:
    base, workspace = app
    before = len(workspace.records_requests(today=date.today()))
    context = browser.new_context(viewport={"width": 1000, "height": 500})
    tab = context.new_page()
    tab.goto(base + "/act/request")  # the person has the app open: its own binding cookie is set
    statuses: list[int] = []
    tab.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    tab.goto(attacker)
    tab.wait_for_load_state("networkidle")
    screenshot(tab, "csrf-refused")
    text = tab.inner_text("body")
    context.close()
    assert statuses == [403], statuses
    assert "sent from another site or port" in text
    assert len(workspace.records_requests(today=date.today())) == before, "nothing was saved"
