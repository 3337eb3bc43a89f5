"""agentapi/rowreader.py reads every row as PyMySQL itself would."""

from __future__ import annotations

import pymysql
import pymysql.cursors
import pytest

from agentapi.config import parse_database_url
from agentapi.db import CONVERSIONS
from agentapi.rowreader import Connection

# Values around each length encoding: 1 byte below 251, NULL (251), 2 bytes (252) up to
# 65,535, 3 bytes (253) beyond; text, binary, numbers, dates, and a zero date.
VALUES = """
SELECT NULL AS n, '' AS empty, REPEAT('a', 250) AS a250, REPEAT('b', 251) AS b251,
       REPEAT('c', 65535) AS c65535, REPEAT('d', 65536) AS d65536,
       REPEAT('é', 70000) AS accents, '😀 "quoted" \\\\ text' AS emoji, X'00FF10' AS raw,
       CAST(1.50 AS DECIMAL(10,2)) AS price, 42 AS answer, -7 AS negative,
       CAST('2026-01-02 03:04:05.123456' AS DATETIME(6)) AS stamp,
       CAST('2026-01-02' AS DATE) AS day, %s AS param
"""
ROWS = """
SELECT seq AS id, IF(MOD(seq, 3) = 0, NULL, REPEAT('x', seq * 97)) AS body
  FROM seq_1_to_400
"""


def connections(database_url: str, cursor: type) -> tuple[object, object]:
    target = parse_database_url("TEST_DATABASE_URL", database_url)
    options = {
        **target.connect_kwargs(),
        "charset": "utf8mb4",
        "autocommit": True,
        "conv": CONVERSIONS,
        "cursorclass": cursor,
    }
    return pymysql.connect(**options), Connection(**options)


@pytest.mark.parametrize("cursor", [pymysql.cursors.DictCursor, pymysql.cursors.Cursor])
def test_every_length_encoding_reads_as_pymysql_reads_it(database_url, cursor):
    plain, ours = connections(database_url, cursor)
    results = []
    for conn in (plain, ours):
        with conn.cursor() as cur:
            cur.execute(VALUES, ("param",))
            results.append((cur.fetchall(), cur.description))
        conn.close()
    assert results[0] == results[1]
    (row,), _description = results[1]
    values = row.values() if isinstance(row, dict) else row
    assert [len(v) for v in values if isinstance(v, str)][:5] == [0, 250, 251, 65535, 65536]


def test_many_rows_buffered_and_unbuffered(database_url):
    plain, ours = connections(database_url, pymysql.cursors.DictCursor)
    with plain.cursor() as cur:
        cur.execute(ROWS)
        expected = cur.fetchall()
    assert len(expected) == 400 and expected[2]["body"] is None
    with ours.cursor() as cur:
        cur.execute(ROWS)
        assert cur.fetchall() == expected
    with ours.cursor(pymysql.cursors.SSDictCursor) as cur:  # the export's cursor
        cur.execute(ROWS)
        assert list(cur.fetchall_unbuffered()) == list(expected)
    plain.close()
    ours.close()
