"""The `agentapi` command: keys, database set-up, demo data and the OpenAPI file."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pymysql
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app, demo, keys
from .config import ConfigError
from .db import Database, DatabaseUnavailable
from .dbinit import init_database
from .openapi import build_spec, spec_yaml

ROOT = Path(__file__).resolve().parent.parent


def _app_factory() -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None


def _database() -> Database:
    database: Database = current_app.extensions["agentapi.write_db"]
    return database


@click.group(cls=FlaskGroup, create_app=_app_factory, add_default_commands=False)
def main() -> None:
    """InvoiceScript Agent API administration. Settings come from AGENTAPI_* variables."""


@main.group("keys")
def keys_group() -> None:
    """Create, list, expire and revoke API keys."""


@keys_group.command("create")
@click.option("--name", required=True, help="What the key is for.")
@click.option("--scopes", required=True, help="Comma-separated, e.g. invoices:read,services:read")
@click.option("--business", "businesses", multiple=True, help="Restrict to this business id.")
@click.option("--expires-in", type=click.FloatRange(min=0.0001), help="Days until it expires.")
@with_appcontext
def keys_create(
    name: str, scopes: str, businesses: tuple[str, ...], expires_in: float | None
) -> None:
    """Create a key; its token is printed once, as the last line."""
    try:
        token = keys.create_key(
            _database(), name, [s for s in scopes.split(",") if s], businesses, expires_in
        )
    except keys.KeyManagementError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Created. Store this token now; it is not shown again:", err=True)
    click.echo(token)


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """List keys: prefix, name, scopes, businesses, dates, status (never hashes)."""
    rows = keys.list_keys(_database())
    columns = [
        "prefix",
        "name",
        "scopes",
        "businesses",
        "created",
        "expires",
        "last_used",
        "status",
    ]
    click.echo("\t".join(columns))
    for row in rows:
        click.echo("\t".join("-" if row[c] is None else str(row[c]) for c in columns))


@keys_group.command("expire")
@click.argument("prefix")
@click.option(
    "--in",
    "days",
    required=True,
    type=click.FloatRange(min=0),
    help="Days from now until the key stops working (0: at once). Never extends a key.",
)
@with_appcontext
def keys_expire(prefix: str, days: float) -> None:
    """Give a key an expiry, e.g. the old key of a rotation, so both work until then."""
    expires_at = keys.expire_key(_database(), prefix, days)
    if expires_at is None:
        raise click.ClickException(f"no live key with prefix {prefix}")
    click.echo(f"{prefix} expires at {expires_at.isoformat()}Z")


@keys_group.command("revoke")
@click.argument("prefix")
@with_appcontext
def keys_revoke(prefix: str) -> None:
    """Revoke the key with this prefix; it stops working at once."""
    if not keys.revoke_key(_database(), prefix):
        raise click.ClickException(f"no live key with prefix {prefix}")
    click.echo(f"revoked {prefix}")


@main.group("db")
def db_group() -> None:
    """Database set-up."""


@db_group.command("init")
@click.option("--create-database", is_flag=True, help="Create the database first if missing.")
@with_appcontext
def db_init(create_database: bool) -> None:
    """Create the tables this service reads and update older ones (idempotent)."""
    database = _database()
    if create_database:
        _create_database(database)
    init_database(database)
    click.echo(f"tables ready in {database.target.database}")


def _create_database(database: Database) -> None:
    # The one statement not in sql/: a database name is an identifier, which no driver
    # placeholder can carry. config.parse_database_url allows [A-Za-z0-9_$] only.
    kwargs = database.target.connect_kwargs()
    name = kwargs.pop("database")
    try:
        conn = pymysql.connect(**kwargs, connect_timeout=database.connect_timeout)
    except pymysql.MySQLError as exc:
        raise click.ClickException(f"cannot reach the database server: {exc.args[-1]}") from None
    with conn, conn.cursor() as cursor:
        cursor.execute(
            f"CREATE DATABASE IF NOT EXISTS `{name}` "  # noqa: S608
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )


@main.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("seed")
@with_appcontext
def demo_seed() -> None:
    """Write the demo businesses, invoices, services and availability."""
    counts = demo.seed(_database())
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()))


@main.command("openapi")
@click.option("--output", type=click.Path(dir_okay=False), default=str(ROOT / "openapi.yaml"))
@with_appcontext
def openapi_command(output: str) -> None:
    """Write the OpenAPI document (openapi.yaml)."""
    Path(output).write_text(spec_yaml(build_spec(current_app)), encoding="utf-8")
    click.echo(f"wrote {output}")


def run() -> None:
    """Entry point that turns an unreachable database into one line, not a trace."""
    try:
        main()
    except DatabaseUnavailable:
        sys.stderr.write("agentapi: the database is not reachable; check AGENTAPI_DATABASE_URL\n")
        sys.exit(1)
