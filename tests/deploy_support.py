"""Real servers for the deployment tests: gunicorn, nginx, php -S, redis-server, a tap.

Each is started on a free loopback port (or a socket in the test's temp dir), logs to
a file, and is stopped by the caller. Nothing here mocks anything.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .factories import bearer
from .helpers import url

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
PHP = shutil.which("php")
REDIS = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin")
TENANT = "01HTENANT0000000000000000"


# The refusals a proxy must pass through unchanged: case -> expected status.
ERROR_CASES = [("no_token", 401), ("bad_token", 401), ("scope", 403), ("unknown_business", 404)]


def error_case(factory, case: str) -> tuple[str | None, str]:
    """The token and business_id that make /invoices answer one of ERROR_CASES."""
    factory.business(id=TENANT)
    token = {
        "no_token": lambda: None,
        "bad_token": lambda: "vb_abcdefgh_" + "x" * 32,
        "scope": lambda: factory.key(scopes=["services:read"]),
        "unknown_business": factory.key,
    }[case]()
    business = "01HNOSUCHBUSINESS00000000" if case == "unknown_business" else TENANT
    return token, business


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a unix socket."""

    def __init__(self, path: str, timeout: float = 10) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        """Connect to the socket file instead of host:port."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


@dataclass
class Reply:
    """An HTTP response as the client saw it."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        """The body, parsed."""
        return json.loads(self.body)


def request(
    target: str,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    method: str = "GET",
    source: str | None = None,
    timeout: float = 10,
) -> Reply:
    """One request to 127.0.0.1:port (target 'port') or a unix socket (target a path)."""
    if target.startswith("/"):
        conn: http.client.HTTPConnection = UnixHTTPConnection(target, timeout)
    else:
        source_address = (source, 0) if source else None
        conn = http.client.HTTPConnection(
            "127.0.0.1", int(target), timeout=timeout, source_address=source_address
        )
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def get_through_front(
    stack: tuple, path: str, token: str | None = None, *, source: str = "127.0.0.1", **headers: str
) -> Reply:
    """GET `path` from a stack's front server (its last member: nginx or the PHP proxy),
    with `token` as the bearer key and every other keyword as a header; the reply."""
    if token:
        headers.update(bearer(token))
    return request(stack[-1].target, path, headers, source=source)


def new_request_id() -> str:
    """A fresh X-Request-ID, to find one request in the logs and on the wire."""
    return uuid.uuid4().hex


def raw_request(port: str, head: bytes) -> Recorded:
    """Send a request head byte for byte (no client library to tidy it); parse the answer."""
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as sock:
        sock.sendall(head + b"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return parse_response(data)


def wait_until(check, timeout: float, what: str, log: Path | None = None) -> None:
    """Poll check() until it is true; fail with the log's tail when it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} did not come up in {timeout} s\n{tail}")


@dataclass
class Server:
    """A started process, its log file and where it listens."""

    process: subprocess.Popen
    log: Path
    target: str  # a port number or a unix socket path

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop it and wait for it to exit."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        """Everything it has logged so far."""
        return self.log.read_text(errors="replace")


def worker_pids(server: Server) -> set[int]:
    """The pids of a gunicorn master's worker processes."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children}


def gunicorn_env(database_url: str, **settings: str) -> dict[str, str]:
    """The process environment: this one without AGENTAPI_*, plus the given settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTAPI_")}
    env["AGENTAPI_DATABASE_URL"] = database_url
    env.update({f"AGENTAPI_{k}": v for k, v in settings.items()})
    return env


def run_gunicorn(env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen:
    """Start gunicorn with the shipped config, as the docs and `make demo` do."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", *extra, "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def start_gunicorn(tmp: Path, database_url: str, *, name: str = "gunicorn", **settings) -> Server:
    """gunicorn on a unix socket (when BIND is unset) or the given bind, ready to serve."""
    tmp.mkdir(parents=True, exist_ok=True)
    settings.setdefault("BIND", f"unix:{tmp / (name + '.sock')}")
    settings.setdefault("TRUSTED_PROXIES", "1")
    bind = settings["BIND"]
    target = bind[5:] if bind.startswith("unix:") else bind.rsplit(":", 1)[1]
    log = tmp / f"{name}.log"
    process = run_gunicorn(gunicorn_env(database_url, **settings), log)
    server = Server(process, log, target)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {server.log_text()[-3000:]}")
        return request(target, url("/health"), timeout=2).status == 200

    wait_until(ready, 30, "gunicorn", log)
    return server


def start_redis(tmp: Path, port: int | None = None) -> Server:
    """A private redis-server on a free port, without persistence."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = tmp / "redis.log"
    process = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(tmp), "--logfile", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def ready() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    wait_until(ready, 10, "redis-server", log)
    return Server(process, log, str(port))


def nginx_site(upstream: str, port: int, tmp: Path) -> str:
    """The shipped deploy/nginx/agentapi.conf, pointed at a test upstream and port."""
    text = (ROOT / "deploy/nginx/agentapi.conf").read_text()
    replacements = {
        "server unix:/run/agentapi/agentapi.sock": f"server {upstream}",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "listen [::]:80;": "",
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"deploy/nginx/agentapi.conf no longer has {old!r}"
        text = text.replace(old, new)
    access_log = "/var/log/nginx/agentapi.access.log"
    assert access_log in text, f"deploy/nginx/agentapi.conf no longer logs to {access_log}"
    return text.replace(access_log, str(tmp / "agentapi.access.log"))


def start_nginx(tmp: Path, upstream: str) -> Server:
    """nginx with its own prefix, config and temp dirs, serving the shipped site."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (tmp / "agentapi.conf").write_text(nginx_site(upstream, port, tmp))
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp_paths = "".join(
        f"    {kind}_temp_path {tmp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'} info;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n    access_log {tmp / 'access.log'};\n{temp_paths}"
        f"    include {tmp / 'agentapi.conf'};\n}}\n"
    )
    log = tmp / "error.log"
    with (tmp / "nginx.out").open("ab") as out:
        process = subprocess.Popen(
            [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(log)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, log, str(port))

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError((tmp / "nginx.out").read_text() + server.log_text())
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    wait_until(ready, 10, "nginx", log)
    return server


def start_php(tmp: Path, upstream: str, *options: str, **env: str) -> Server:
    """php -S serving deploy/php/agent-proxy.php for every path, in front of upstream.

    options: php command-line options, such as "-d", "memory_limit=8M".
    """
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = tmp / "php.log"
    environ = {**os.environ, "AGENT_PROXY_UPSTREAM": upstream, **env}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [PHP, *options, "-S", f"127.0.0.1:{port}", str(ROOT / "deploy/php/agent-proxy.php")],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, log, str(port))

    def ready() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    wait_until(ready, 10, "php -S", log)
    return server


@dataclass
class Recorded:
    """One HTTP response as the upstream sent it, seen on the wire by the tap."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of the first header of that name."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def parse_response(raw: bytes) -> Recorded:
    """Read status, headers and body out of the bytes of one HTTP/1.x response."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
    recorded = Recorded(status, headers, rest)  # type: ignore[arg-type]
    length = recorded.header("Content-Length")
    if length is not None:
        recorded.body = rest[: int(length)]
    return recorded


@dataclass
class Tap:
    """A TCP relay between a proxy and gunicorn that records what gunicorn answered."""

    upstream: str  # unix socket path or port
    port: int = 0
    responses: list[bytes] = field(default_factory=list)

    def start(self) -> Tap:
        """Listen on a free port and relay every connection in a thread."""
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _connect_upstream(self) -> socket.socket:
        if self.upstream.startswith("/"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.upstream)
            return sock
        return socket.create_connection(("127.0.0.1", int(self.upstream)))

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = self._connect_upstream()
        except OSError:
            client.close()
            return
        buffer = bytearray()

        def forward_requests() -> None:
            try:
                while data := client.recv(65536):
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    upstream.shutdown(socket.SHUT_WR)

        threading.Thread(target=forward_requests, daemon=True).start()
        try:
            while data := upstream.recv(65536):
                buffer.extend(data)  # recorded before the proxy sees it
                response = parse_response(bytes(buffer)) if b"\r\n\r\n" in buffer else None
                length = response.header("Content-Length") if response else None
                if response and length is not None and len(response.body) == int(length):
                    self.responses.append(bytes(buffer))
                    buffer.clear()
                client.sendall(data)
        except OSError:
            pass
        finally:
            if buffer:
                self.responses.append(bytes(buffer))
            upstream.close()
            client.close()

    def find(self, request_id: str) -> Recorded:
        """The recorded response that carried this X-Request-ID."""
        for raw in self.responses:
            response = parse_response(raw)
            if response.header("X-Request-ID") == request_id:
                return response
        raise AssertionError(f"no upstream response with X-Request-ID {request_id}")

    def close(self) -> None:
        """Stop accepting connections."""
        self._server.close()


def app_log_line(server: Server, request_id: str, timeout: float = 5) -> dict:
    """The app's JSON access line for one request id (lines go out in batches, up to
    0.1 s after their request: agentapi/logbatch.py)."""
    deadline = time.monotonic() + timeout
    while True:
        for line in server.log_text().splitlines():
            if line.startswith("{") and f'"request_id": "{request_id}"' in line:
                record = json.loads(line)
                if record.get("logger") == "agentapi.access":
                    return record
        if time.monotonic() > deadline:
            raise AssertionError(f"no app log line for {request_id}")
        time.sleep(0.05)
