"""Prepared statements: PREPARE once per connection, EXECUTE ... USING after; text where not."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pymysql
import pytest

from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.prepared import (
    MAX_LIST_PREPARED,
    MAX_TEXTS_KEPT,
    PreparedStatements,
    executes_with_values,
    positional,
    prepared_text,
)
from agentapi.sqlfiles import Query, load_queries


def test_placeholders_become_question_marks_in_their_order():
    sql = "SELECT %(a)s, '%%Y' FROM t WHERE x = %(b)s OR y IN %(c)s AND z = %(a)s"
    assert positional(sql)[1] == ("a", "b", "c", "a")
    assert prepared_text(sql, (0, 0, 3, 0)) == (
        "SELECT ?, '%Y' FROM t WHERE x = ? OR y IN (?, ?, ?) AND z = ?"
    )


def test_a_statement_with_a_question_mark_of_its_own_is_not_prepared():
    assert positional("SELECT '?' FROM t WHERE x = %(a)s") is None


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("5.5.5-10.11.19-MariaDB-0+deb12u1", True),
        ("10.2.3-MariaDB", True),
        ("10.1.48-MariaDB-1~bionic", False),
        ("8.0.36", False),  # MySQL: EXECUTE takes user variables only
        ("8.4.0-MySQL Community", False),
    ],
)
def test_values_in_execute_using_are_for_mariadb_10_2_3_on(server, expected):
    assert executes_with_values(server) is expected


def database(database_url: str, prepare: bool = True, queries=None) -> Database:
    target = parse_database_url("TEST_DATABASE_URL", database_url)
    return Database(target, queries or load_queries(), prepare=prepare)


def session_count(db: Database, name: str) -> int:
    """A session status counter of the database's own connection in this thread."""
    with db._connection().cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS LIKE %s", (name,))
        return int(cursor.fetchone()["Value"])


def test_a_registered_statement_is_prepared_once_and_gives_the_text_s_rows(database_url, factory):
    business = factory.business()
    for n in range(3):
        factory.service(business["id"], name=f"Service {n}")
    params = {
        "business_id": business["id"],
        "active_a": 0,
        "active_b": 1,
        "after_name": "",
        "after_id": "",
        "limit": 10,
    }
    prepared, text = database(database_url), database(database_url, prepare=False)
    prepares, executes = (
        session_count(prepared, "Com_prepare_sql"),
        session_count(prepared, "Com_execute_sql"),
    )
    first = prepared.run("list_services", params)
    second = prepared.run("list_services", params)
    assert session_count(prepared, "Com_prepare_sql") - prepares == 1
    assert session_count(prepared, "Com_execute_sql") - executes == 2
    assert first == second == text.run("list_services", params)
    assert [json.loads(row["line"])["name"] for row in first] == [
        "Service 0",
        "Service 1",
        "Service 2",
    ]
    assert session_count(text, "Com_execute_sql") == 0


def test_a_statement_the_connection_lost_is_prepared_again(database_url, factory):
    business = factory.business()
    db = database(database_url)
    assert db.run("get_business", {"business_id": business["id"]})["id"] == business["id"]
    with db._connection().cursor() as cursor:
        cursor.execute("DEALLOCATE PREPARE agentapi_get_business")
    assert db.run("get_business", {"business_id": business["id"]})["id"] == business["id"]


def test_long_lists_and_unpreparable_statements_are_sent_as_text(database_url, factory):
    business = factory.business()
    factory.template(business["id"], name="Standard")
    others = [factory.business()["id"] for _ in range(MAX_LIST_PREPARED)]
    queries = load_queries()
    queries["show_tables_like"] = Query(
        "show_tables_like", "SHOW TABLES LIKE %(pattern)s", frozenset({"pattern"}), "rows", Path()
    )
    db = database(database_url, queries=queries)
    executes = session_count(db, "Com_execute_sql")
    # A page's ids (here one more than a statement is prepared for) go as text.
    templates = db.run("list_invoice_templates", {"business_ids": (business["id"], *others)})
    assert [t["business_id"] for t in templates] == [business["id"]]
    assert '"name":"Standard"' in templates[0]["line"]
    # The server refuses `SHOW TABLES LIKE ?`; the text runs instead, now and later.
    assert [
        next(iter(r.values())) for r in db.run("show_tables_like", {"pattern": "services"})
    ] == ["services"]
    assert db.run("show_tables_like", {"pattern": "businesses"})
    assert session_count(db, "Com_execute_sql") == executes


def test_every_handle_fits_an_identifier():
    # MariaDB's identifiers are at most 64 characters: agentapi_<name>, and _<length>
    # for each list value (one or two of at most MAX_LIST_PREPARED).
    longest = max(len(name) for name in load_queries())
    assert len("agentapi_") + longest + len("_8_8") <= 64


def test_a_short_list_gets_a_statement_per_length(database_url, factory):
    business = factory.business()
    for status in ("draft", "sent", "paid"):
        factory.invoice(business["id"], status=status)
    db = database(database_url)
    text = database(database_url, prepare=False)
    prepares = session_count(db, "Com_prepare_sql")
    executes = session_count(db, "Com_execute_sql")
    for statuses in (("draft", "sent"), ("paid",), ("sent", "draft")):
        params = {
            "business_id": business["id"],
            "statuses": statuses,
            "issued_from": date(1000, 1, 1),
            "issued_to": date(9999, 12, 31),
            "updated_since": datetime(1000, 1, 1),
            "after_key": "9999-12-31",
            "after_id": "Z" * 27,
            "limit": 10,
        }
        rows = db.run("list_invoices_by_issue_date_desc", params)
        assert rows == text.run("list_invoices_by_issue_date_desc", params)
        assert sorted(r["line"].split('"status":"')[1].split('"')[0] for r in rows) == sorted(
            statuses
        )
    assert session_count(db, "Com_prepare_sql") - prepares == 2  # lengths 2 and 1
    assert session_count(db, "Com_execute_sql") - executes == 3


def test_an_empty_list_is_sent_as_text_and_refused_as_the_text_is(database_url):
    db = database(database_url)
    prepares = session_count(db, "Com_prepare_sql")
    with pytest.raises(pymysql.ProgrammingError):
        db.run("list_invoice_templates", {"business_ids": ()})
    assert session_count(db, "Com_prepare_sql") == prepares


def test_execute_texts_are_kept_per_value_and_type_and_bounded(database_url):
    query = Query("kept", "SELECT %(a)s AS a", frozenset({"a"}), "row", Path("kept.sql"))
    conn = database(database_url)._connection()
    statements = PreparedStatements(conn, enabled=True)
    one, _ = statements.statement(query, {"a": 1})
    assert one == "EXECUTE agentapi_kept USING 1"
    assert statements.statement(query, {"a": 1})[0] is one  # the kept text
    # Equal to 1, written otherwise: never the kept text of 1.
    assert statements.statement(query, {"a": 1.0})[0] != one
    assert statements.statement(query, {"a": "1"})[0] == "EXECUTE agentapi_kept USING '1'"
    with conn.cursor() as cursor:
        cursor.execute(statements.statement(query, {"a": 1.5})[0])
        assert float(cursor.fetchone()["a"]) == 1.5
    for n in range(MAX_TEXTS_KEPT + 10):
        statements.statement(query, {"a": n})
    assert len(statements._texts) <= MAX_TEXTS_KEPT
