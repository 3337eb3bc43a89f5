"""gunicorn's access line (agentapi/gunicorn_log.py): the atoms the format asks for, as
gunicorn's own SafeAtoms would give them, each made loggable."""

from __future__ import annotations

import datetime
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger, SafeAtoms

from agentapi.gunicorn_log import AccessLogger, LoggableAtoms, loggable

TOKEN = "vb_abcdefgh_" + "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3t12"

RESPONSE = SimpleNamespace(
    status="404 NOT FOUND",
    sent=1234,
    headers=[
        ("Content-Type", "application/problem+json"),
        ("X-Request-ID", "id-1"),
        ("X-Request-ID", 'second "id"'),  # gunicorn keeps the last of a name
        ("X-Echo", f"Bearer {TOKEN}"),
    ],
)
REQUEST = SimpleNamespace(
    headers=[("HOST", "localhost"), ("USER-AGENT", 'curl/8 "x"\r\nforged'), ("REFERER", "\\")]
)
ENVIRON = {
    "REMOTE_ADDR": "203.0.113.9",
    "REQUEST_METHOD": "GET",
    "RAW_URI": f"/api/agent/v1/x/{TOKEN}?a=1",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "PATH_INFO": f"/api/agent/v1/health\r\nrequest_id=forged /{TOKEN}",
    "QUERY_STRING": "a=1\u2028",
    "HTTP_USER_AGENT": "curl",
    "agentapi.key_prefix": "abcdefgh",
    "Mixed.Case": "found by its lower-case name",
    "wsgi.input": object(),
}
TIME = datetime.timedelta(seconds=2, microseconds=34567)


def eager_atoms() -> SafeAtoms:
    """What gunicorn's Logger.access handed the format before: every atom, loggable."""
    logger = Logger(Config())
    atoms = logger.atoms(RESPONSE, REQUEST, ENVIRON, TIME)
    return SafeAtoms({k: loggable(v) if isinstance(v, str) else v for k, v in atoms.items()})


def every_key() -> list[str]:
    keys = [k for k in eager_atoms() if k != "t"]  # "t" is the clock's time as text
    return keys + ["{x-request-id}o", "{X-Request-ID}o", "{absent}o", "{absent}i",
                   "{absent}e", "{Mixed.Case}e", "{x}z", "zz"]  # fmt: skip


@pytest.mark.parametrize("key", every_key())
def test_each_atom_is_what_gunicorns_atoms_gave(key):
    lazy = LoggableAtoms(Logger(Config()), RESPONSE, REQUEST, ENVIRON, TIME)
    assert lazy[key] == eager_atoms()[key]


def test_the_shipped_line_is_escaped_and_carries_no_token(tmp_path):
    shipped = runpy.run_path(str(Path(__file__).parent.parent / "deploy" / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", shipped["access_log_format"])
    logger = AccessLogger(cfg)
    logger.access(RESPONSE, REQUEST, ENVIRON, TIME)
    for handler in logger.access_log.handlers:
        handler.flush()
    (line,) = (tmp_path / "access.log").read_text().splitlines()
    assert line == (
        'request_id=second \\"id\\" key=abcdefgh client=203.0.113.9 '
        '"GET /api/agent/v1/health\\x0d\\x0arequest_id=forged /vb_abcdefgh_[redacted]" '
        "status=404 bytes=1234 ms=2034"
    )


def test_a_stream_handler_gets_the_line_without_a_log_record(capsys, monkeypatch):
    shipped = runpy.run_path(str(Path(__file__).parent.parent / "deploy" / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", "-")  # gunicorn's StreamHandler on stdout
    cfg.set("access_log_format", shipped["access_log_format"])
    logger = AccessLogger(cfg)

    def no_record(*args, **kwargs):
        raise AssertionError("the line went through a LogRecord")

    # Only gunicorn's own handler (pytest's capture adds its handlers to loggers).
    access_log = logger.access_log
    plain = [h for h in access_log.handlers if type(h) is logging.StreamHandler]
    monkeypatch.setattr(access_log, "handlers", plain)
    monkeypatch.setattr(access_log, "makeRecord", no_record)
    logger.access(RESPONSE, REQUEST, ENVIRON, TIME)
    assert capsys.readouterr().out == (
        'request_id=second \\"id\\" key=abcdefgh client=203.0.113.9 '
        '"GET /api/agent/v1/health\\x0d\\x0arequest_id=forged /vb_abcdefgh_[redacted]" '
        "status=404 bytes=1234 ms=2034\n"
    )
