"""GET /invoices/export in process: formats, values, parameters, snapshot, streaming, slots."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from agentapi import logs
from agentapi.routes import export as export_route

from .conftest import sql
from .factories import bearer, priced
from .helpers import assert_problem, url

EXPORT = "/invoices/export"
CSV_HEADER = (
    "id,business_id,template_id,number,status,customer_name,customer_email,currency,"
    "issue_date,due_date,subtotal,tax_total,total,amount_paid,amount_due,paid_at,"
    "created_at,updated_at"
)


def listed(client, token, business_id, **params):
    """Every invoice /invoices returns, page after page, as objects."""
    query = {"business_id": business_id, "limit": "200", **params}
    found = []
    while True:
        body = client.get(url("/invoices"), query_string=query, headers=bearer(token)).get_json()
        found += body["data"]
        if not body["has_more"]:
            return found
        query["cursor"] = body["next_cursor"]


def exported(client, token, business_id, **params):
    response = client.get(
        url(EXPORT), query_string={"business_id": business_id, **params}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    response.get_data()  # read to the end: the export ends and frees the key's slot
    return response


def ndjson(response) -> list[dict]:
    body = response.get_data()
    assert body.endswith(b"\n")
    return [json.loads(line) for line in body.decode("utf-8").split("\n")[:-1]]


@pytest.fixture
def varied(factory, business):
    """Invoices with every kind of value the shapes handle."""
    template = factory.template(business["id"])
    rows = [
        factory.invoice(business["id"], **priced("100.00", "19.00")),
        factory.invoice(
            business["id"],
            template_id=template["id"],
            number="=HYPERLINK(1)",
            customer_name='Zoë "the" Çelik, Ltd\r\nline two',
            customer_email=None,
            status="paid",
            issue_date=date(2025, 12, 31),
            due_date=date(2026, 1, 14),
            paid_at=datetime(2026, 1, 2, 3, 4, 5, 678900),
            updated_at=datetime(2026, 1, 2, 3, 4, 5, 1),
            **priced("-5.50", "0.00", "-5.50"),
        ),
        factory.invoice(
            business["id"], number="+1", customer_name="-minus", customer_email="@at", status="void"
        ),
        factory.invoice(business["id"], number="\tTab", customer_name="\rcr", status="draft"),
        factory.invoice(
            business["id"],
            **priced("9999999999999.98", "0.01", "0.10"),
            issue_date=date(2024, 2, 29),
        ),
    ]
    for n, invoice in enumerate(rows):
        for position in range(1, n + 1):
            factory.item(
                invoice["id"],
                position=position,
                description=f"Línea {position}",
                quantity=Decimal("0.125") * position,
            )
    return rows


def test_ndjson_lines_are_exactly_the_objects_invoices_lists(client, token, business, varied):
    for params in ({}, {"include": "items"}, {"sort": "updated_at"}, {"status": "paid,void"}):
        response = exported(client, token, business["id"], **params)
        assert response.headers["Content-Type"] == "application/x-ndjson"
        assert ndjson(response) == listed(client, token, business["id"], **params)


def test_every_sort_and_filter_matches_the_list(client, token, business, varied):
    for sort in ("-issue_date", "issue_date", "-updated_at", "updated_at"):
        params = {
            "sort": sort,
            "issued_from": "2025-01-01",
            "updated_since": "2020-01-01T00:00:00Z",
        }
        rows = ndjson(exported(client, token, business["id"], **params))
        assert rows == listed(client, token, business["id"], **params)
        assert len(rows) == len(varied) - 1  # the one issued in 2024


def test_csv_is_rfc_4180_with_the_invoice_fields(client, token, business, varied):
    response = exported(client, token, business["id"], format="csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data().decode("utf-8")
    assert text.startswith(CSV_HEADER + "\r\n")
    assert text.endswith("\r\n")
    records = list(csv.reader(io.StringIO(text, newline="")))
    header, rows = records[0], records[1:]
    objects = listed(client, token, business["id"])
    assert len(rows) == len(objects)
    for row, obj in zip(rows, objects, strict=True):
        cells = dict(zip(header, row, strict=True))
        flat = {**obj, "customer_name": obj["customer"]["name"]}
        flat["customer_email"] = obj["customer"]["email"]
        for column in header:
            value = flat[column]
            expected = "" if value is None else value
            if column in ("number", "customer_name", "customer_email") and expected[:1] in (
                "=",
                "+",
                "-",
                "@",
                "\t",
                "\r",
            ):
                expected = "'" + expected
            assert cells[column] == expected, (column, cells[column], expected)


def test_csv_defuses_formulas_in_text_cells_only(client, token, business, factory):
    factory.invoice(
        business["id"], number="=1+1", customer_name="@SUM(A1)", customer_email="-x@example.com"
    )
    factory.invoice(business["id"], **priced("-1.00", "0.00"))
    text = exported(client, token, business["id"], format="csv").get_data().decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    formula = next(r for r in rows if r["number"].startswith("'"))
    assert (formula["number"], formula["customer_name"], formula["customer_email"]) == (
        "'=1+1",
        "'@SUM(A1)",
        "'-x@example.com",
    )
    negative = next(r for r in rows if r["total"].startswith("-"))
    assert negative["total"] == "-1.00"  # money is not text: written as it is


def test_content_disposition_names_business_time_and_format(client, token, business):
    for fmt in ("ndjson", "csv"):
        response = exported(client, token, business["id"], format=fmt)
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(
            rf'attachment; filename="invoices-{business["id"]}-[0-9]{{8}}T[0-9]{{6}}Z\.{fmt}"',
            disposition,
        ), disposition
        assert response.headers["X-Accel-Buffering"] == "no"
        assert response.headers["Cache-Control"] == "no-store"


def test_empty_export_is_empty_ndjson_and_a_lone_csv_header(client, token, business):
    assert exported(client, token, business["id"]).get_data() == b""
    csv_body = exported(client, token, business["id"], format="csv").get_data()
    assert csv_body == (CSV_HEADER + "\r\n").encode()


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"format": "csv", "include": "items"}, "include"),
        ({"limit": "10"}, "limit"),
        ({"cursor": "abc.def"}, "cursor"),
        ({"format": "xml"}, "format"),
        ({"sort": "total"}, "sort"),
        ({"business_id": None}, "business_id"),
    ],
)
def test_bad_parameters_are_400s_naming_them(client, token, business, params, parameter):
    query = {"business_id": business["id"], **params}
    query = {k: v for k, v in query.items() if v is not None}
    response = client.get(url(EXPORT), query_string=query, headers=bearer(token))
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == parameter


def test_unknown_deleted_or_unreadable_business_is_a_404_problem(
    client, factory, business, sql_conn
):
    gone = factory.business()
    sql(sql_conn, "UPDATE businesses SET deleted_at = NOW(6) WHERE id = %s", gone["id"])
    other = factory.business()
    restricted = factory.key(businesses=(business["id"],))
    for business_id in ("01HNOSUCHBUSINESS00000000", gone["id"], other["id"]):
        response = client.get(
            url(EXPORT), query_string={"business_id": business_id}, headers=bearer(restricted)
        )
        assert_problem(response, 404, "not_found")


def test_the_invoices_read_scope_is_required(client, factory, business):
    token = factory.key(scopes=["services:read"])
    response = client.get(
        url(EXPORT), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert_problem(response, 403, "insufficient_scope")


def fill_invoices(sql_conn, business_id: str, count: int, first: int = 1) -> None:
    """count invoices, issued one a day back from 2026-06-01, in one statement."""
    sql(
        sql_conn,
        "INSERT INTO invoices (id, business_id, number, status, customer_name, currency,"
        " issue_date, subtotal, tax_total, total, amount_paid, created_at, updated_at)"
        " SELECT CONCAT('01EXPORT', LPAD(seq, 18, '0')), %s, CONCAT('N-', seq), 'sent',"
        " CONCAT('Customer ', seq), 'EUR', DATE_SUB('2026-06-01', INTERVAL seq DAY),"
        " 10.00, 1.90, 11.90, 0.00, '2026-01-01', '2026-01-01'"
        f" FROM seq_{first}_to_{first + count - 1}",
        business_id,
    )


def test_the_export_is_the_snapshot_taken_at_its_start(client, token, business, sql_conn):
    # More rows than the first chunk, so that writes land while the export is under way.
    total = export_route.FIRST_CHUNK_ROWS + 700
    fill_invoices(sql_conn, business["id"], total)
    before = listed(client, token, business["id"])
    response = client.get(
        url(EXPORT),
        query_string={"business_id": business["id"]},
        headers=bearer(token),
        buffered=False,
    )
    body = response.response  # the streaming iterator, read piece by piece
    first = next(iter(body))
    assert first.count(b"\n") == export_route.FIRST_CHUNK_ROWS
    # The app writes while the export runs: a row not yet read is deleted, one updated,
    # one inserted where the rest would list it, and an already sent one changed.
    later = before[-1]["id"]
    sql(sql_conn, "UPDATE invoices SET deleted_at = NOW(6) WHERE id = %s", later)
    sql(
        sql_conn,
        "UPDATE invoices SET number = 'CHANGED', total = 1 WHERE id = %s",
        before[-2]["id"],
    )
    sql(sql_conn, "UPDATE invoices SET status = 'void' WHERE id = %s", before[0]["id"])
    sql(sql_conn, "DELETE FROM invoices WHERE id = %s", before[-3]["id"])
    fill_invoices(sql_conn, business["id"], 5, first=total + 1)  # dated among the unread
    rest = b"".join(body)
    response.close()
    lines = (first + rest).decode().split("\n")[:-1]
    assert [json.loads(line) for line in lines] == before


def test_a_finished_export_logs_its_rows_bytes_and_request_id(
    make_app, token, business, sql_conn, capsys
):
    # The request's own line is written when the answer starts; this one, at its end.
    fill_invoices(sql_conn, business["id"], export_route.FIRST_CHUNK_ROWS + 10)
    client = make_app().test_client()  # its log handler writes to the captured stderr
    logs.flush()  # lines go out in batches (agentapi/logbatch.py)
    capsys.readouterr()
    response = exported(client, token, business["id"], format="csv")
    logs.flush()
    records = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.strip()]
    (finished,) = [x for x in records if x["message"] == "export finished"]
    (started,) = [x for x in records if x["logger"] == "agentapi.access"]
    assert finished["logger"] == "agentapi.export"
    assert finished["request_id"] == started["request_id"] == response.headers["X-Request-ID"]
    assert finished["rows"] == export_route.FIRST_CHUNK_ROWS + 10
    assert finished["bytes"] == len(response.get_data())
    assert finished["seconds"] >= 0


def test_first_bytes_come_before_the_rest_is_read(app, token, business, sql_conn):
    fill_invoices(sql_conn, business["id"], export_route.FIRST_CHUNK_ROWS + 10)
    client = app.test_client()
    response = client.get(
        url(EXPORT),
        query_string={"business_id": business["id"]},
        headers=bearer(token),
        buffered=False,
    )
    pieces = iter(response.response)
    first = next(pieces)
    json.loads(first.split(b"\n", 1)[0])  # a whole first line is out
    # Only the first chunk was read so far: the second statement has not run.
    assert b"".join(pieces).count(b"\n") == 10
    response.close()


def test_a_second_export_of_the_same_key_gets_429_with_retry_after(client, token, business):
    first = client.get(
        url(EXPORT),
        query_string={"business_id": business["id"]},
        headers=bearer(token),
        buffered=False,
    )
    assert first.status_code == 200
    second = client.get(
        url(EXPORT), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    body = assert_problem(second, 429, "rate_limited")
    assert 1 <= int(second.headers["Retry-After"]) <= 60
    assert "export" in body["detail"]
    first.close()  # the export ends: its slot is free again
    third = client.get(
        url(EXPORT), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert third.status_code == 200


def test_another_key_exports_at_the_same_time(client, token, factory, business):
    first = client.get(
        url(EXPORT),
        query_string={"business_id": business["id"]},
        headers=bearer(token),
        buffered=False,
    )
    other = client.get(
        url(EXPORT), query_string={"business_id": business["id"]}, headers=bearer(factory.key())
    )
    assert other.status_code == 200
    first.close()


def test_a_refused_export_leaves_the_slot_free(client, token, business):
    response = client.get(
        url(EXPORT),
        query_string={"business_id": business["id"], "format": "csv", "include": "items"},
        headers=bearer(token),
    )
    assert response.status_code == 400
    assert exported(client, token, business["id"]).status_code == 200
    gone = client.get(url(EXPORT), query_string={"business_id": "01NOPE"}, headers=bearer(token))
    assert gone.status_code == 404
    assert exported(client, token, business["id"]).status_code == 200


def test_zero_dates_stored_under_a_lax_sql_mode_are_null_as_in_the_list(
    client, token, business, factory, sql_conn
):
    invoice = factory.invoice(business["id"], customer_name='Ünïcode \u2028 \x01 😀 \\ "q"')
    sql(sql_conn, "SET SESSION sql_mode = ''")
    try:
        sql(
            sql_conn,
            "UPDATE invoices SET due_date = '0000-00-00', paid_at = '0000-00-00 00:00:00'"
            " WHERE id = %s",
            invoice["id"],
        )
    finally:
        sql(sql_conn, "SET SESSION sql_mode = DEFAULT")
    (line,) = ndjson(exported(client, token, business["id"]))
    assert line == listed(client, token, business["id"])[0]
    assert line["due_date"] is None and line["paid_at"] is None
    text = exported(client, token, business["id"], format="csv").get_data().decode()
    (row,) = csv.DictReader(io.StringIO(text, newline=""))
    assert row["due_date"] == row["paid_at"] == ""
    assert row["customer_name"] == invoice["customer_name"]


def test_head_answers_the_headers_and_frees_the_slot(client, token, business, factory):
    factory.invoice(business["id"])
    head = client.head(
        url(EXPORT), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["Content-Type"] == "application/x-ndjson"
    head.close()  # as the server does once the answer is sent: the export ends unread
    assert len(ndjson(exported(client, token, business["id"]))) == 1


def test_an_export_uses_export_cost_slots_of_the_quota_before_it_starts(make_app, factory):
    client = make_app(RATE_LIMIT="12 per minute", EXPORT_COST="10").test_client()
    business = factory.business()
    token = factory.key()
    answer = client.get(url("/invoices/export"), query_string={"business_id": business["id"]},
                        headers=bearer(token))  # fmt: skip
    assert answer.status_code == 200
    answer.get_data()
    assert answer.headers["X-RateLimit-Remaining"] == "2"
    # 2 slots left: another export (10) does not fit, a list request (1) does.
    refused = client.get(url("/invoices/export"), query_string={"business_id": business["id"]},
                         headers=bearer(token))  # fmt: skip
    assert_problem(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"]
    listed_now = client.get(url("/invoices"), query_string={"business_id": business["id"]},
                            headers=bearer(token))  # fmt: skip
    assert listed_now.status_code == 200
    assert listed_now.headers["X-RateLimit-Remaining"] == "1"
