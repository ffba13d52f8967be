"""The live panel (`serve --panel`): a page on this machine that shows each channel's
velocities coming in and going out as they play, and changes the settings.

The panel is a thin bridge: every change is a control request answered on the daemon's
main loop by the handler `ctl`'s requests go to, with the same checks and replies, never
beside it. It listens on loopback only, and only a page that
knows the panel's secret may use it: the secret is in the address printed at start (after
the `#`, so it never travels in a request line or a log) and in a file only the user can
read, kept between starts so a bookmark still works. Another user on the machine has
neither; a web page from elsewhere cannot send the secret, and a request whose Host is not
the panel's own (DNS rebinding) is refused.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import threading
from collections.abc import Callable
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from humanizer.daemon import access
from humanizer.errors import HumanizerError

DEFAULT_PORT = 7417
HOST = "127.0.0.1"
HEADER = "X-Humanizer-Panel"  # carries the secret on every API request
CHANGES = ("set", "use", "bypass", "panic")  # what the page may ask besides looking
MAX_BODY = 64 * 1024
ANSWER_SECONDS = 2.0  # how long a panel request waits for the daemon's main loop


def secret_file() -> Path:
    """Where the panel's secret is kept: the user's config folder, readable by them only."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "humanizer" / "panel.secret"


def secret() -> str:
    """The panel's secret: the one kept from before where it is still this user's alone,
    else a new one written owner-only."""
    path = secret_file()
    try:
        kept = path.read_text().strip()
        if len(kept) >= 22 and access.is_private(path):
            return kept
    except OSError:
        pass
    made = secrets.token_urlsafe(24)
    try:
        access.write_private(path, made + "\n")
    except (OSError, HumanizerError):
        pass  # not kept: this start's address still works
    return made


class Inbox:
    """The panel's requests, answered on the daemon's main loop - where `ctl`'s are - with
    the same handler, checks and replies, whatever keys or token the control socket asks
    of a client. The web server's threads wait here for their reply."""

    def __init__(self, timeout: float = ANSWER_SECONDS):
        self.timeout = timeout
        self._waiting: queue.Queue[tuple[dict, list, threading.Event]] = queue.Queue()

    def ask(self, request: dict) -> dict:
        """From a web server thread: the daemon's reply, or a HumanizerError when its main
        loop did not answer in time."""
        reply: list[dict] = []
        done = threading.Event()
        self._waiting.put((request, reply, done))
        if not done.wait(self.timeout):
            raise HumanizerError(f"the daemon did not answer within {self.timeout:g} s")
        return reply[0]

    def answer_all(self, answer: Callable[[dict], dict]) -> int:
        """On the main loop: every request waiting, answered by `answer`; how many."""
        answered = 0
        while True:
            try:
                request, reply, done = self._waiting.get_nowait()
            except queue.Empty:
                return answered
            reply.append(answer(request))
            done.set()
            answered += 1


class Panel:
    """The panel's web server on a thread of its own; its requests wait in `inbox` for
    the daemon's main loop to answer them."""

    def __init__(self, port: int = DEFAULT_PORT):
        self.inbox = Inbox()
        self.secret = secret()
        try:
            self.server = ThreadingHTTPServer((HOST, port), partial(Handler, self))
        except OSError as error:
            raise HumanizerError(f"--panel: cannot listen on {HOST}:{port} "
                                 f"({error.strerror or error}); give another port, "
                                 "e.g. --panel 7418") from None
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="panel",
                                       daemon=True)

    @property
    def address(self) -> str:
        return f"http://{HOST}:{self.port}/#{self.secret}"

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        """An API request's status code and reply (the page itself is served apart)."""
        route, query = urlsplit(path).path, parse_qs(urlsplit(path).query)
        if method == "GET" and route == "/api/status":
            return self._asked({"cmd": "status"})
        if method == "GET" and route == "/api/models":
            return self._asked({"cmd": "models"})
        if method == "GET" and route == "/api/played":
            try:
                after = [int(query.get(tape, ["0"])[0]) for tape in ("heard", "sent")]
            except ValueError:
                return 400, {"ok": False, "error": "heard and sent are note numbers"}
            return self._asked({"cmd": "played", "after": after})
        if method == "POST" and route == "/api/request":
            try:
                request = json.loads(body)
            except ValueError:
                return 400, {"ok": False, "error": "a request is a JSON object"}
            if not isinstance(request, dict) or request.get("cmd") not in CHANGES:
                return 400, {"ok": False, "error": f"the panel sends {', '.join(CHANGES)}"}
            return self._asked(request)
        return 404, {"ok": False, "error": f"no {route} here"}

    def _asked(self, request: dict) -> tuple[int, dict]:
        try:
            return 200, self.inbox.ask(request)
        except HumanizerError as error:
            return 503, {"ok": False, "error": str(error)}


class Handler(BaseHTTPRequestHandler):
    """One HTTP request to the panel: its own address only, the page to anyone who reached
    it, the API only with the secret."""

    server_version = "humanizer-panel"

    def __init__(self, panel: Panel, *arguments, **keywords):
        self.panel = panel
        super().__init__(*arguments, **keywords)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's
        pass  # the daemon's output is for the musician: no line per request

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        if self.headers.get("Host") not in (f"{HOST}:{self.panel.port}",
                                            f"localhost:{self.panel.port}"):
            return self._reply(403, {"ok": False, "error": "not this panel's address"})
        if method == "GET" and urlsplit(self.path).path in ("/", "/index.html"):
            return self._page()
        if not secrets.compare_digest(self.headers.get(HEADER, ""), self.panel.secret):
            return self._reply(403, {"ok": False, "error": "open the panel from the address "
                                     "`humanizer serve --panel` printed"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._reply(400, {"ok": False, "error": "a length is a number"})
        if length > MAX_BODY:
            return self._reply(413, {"ok": False, "error": "request too large"})
        body = self.rfile.read(length) if length > 0 else b""
        self._reply(*self.panel.answer(method, self.path, body))

    def _page(self) -> None:
        page = resources.files("humanizer.daemon").joinpath("panel.html").read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", "default-src 'self'; "
                         "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:")
        self.end_headers()
        self.wfile.write(page)

    def _reply(self, code: int, reply: dict) -> None:
        data = json.dumps(reply).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)
