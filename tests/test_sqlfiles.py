"""The SQL-file registry: a malformed file stops the app at boot."""

from __future__ import annotations

import shutil

import pytest

from agentapi.sqlfiles import SQL_ROOT, QueryFileError, load_queries

GOOD = """-- name: list_things
-- params: business_id, limit
-- returns: rows (id)
SELECT id FROM things WHERE business_id = %(business_id)s LIMIT %(limit)s
"""


@pytest.fixture
def root(tmp_path):
    """A copy of the real sql/ tree to break."""
    copy = tmp_path / "sql"
    shutil.copytree(SQL_ROOT, copy)
    return copy


def write(root, text, area="things", name="list_things"):
    (root / area).mkdir(exist_ok=True)
    (root / area / f"{name}.sql").write_text(text, encoding="utf-8")


def test_the_shipped_sql_tree_loads():
    queries = load_queries()
    assert "list_invoices_by_issue_date_desc" in queries
    assert all(q.returns in ("rows", "row", "nothing") for q in queries.values())


def test_a_copy_of_the_tree_with_a_good_new_file_loads(root):
    write(root, GOOD)
    query = load_queries(root)["list_things"]
    assert query.params == {"business_id", "limit"}
    assert query.returns == "rows"
    assert query.sql.startswith("SELECT id FROM things")


@pytest.mark.parametrize("field", ["name", "params", "returns"])
def test_a_missing_header_line_is_an_error(root, field):
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith(f"-- {field}:"))
    write(root, text)
    with pytest.raises(QueryFileError, match=field):
        load_queries(root)


def test_no_header_at_all_is_an_error(root):
    write(root, "SELECT 1\n")
    with pytest.raises(QueryFileError, match="list_things"):
        load_queries(root)


def test_a_name_that_differs_from_the_file_is_an_error(root):
    write(root, GOOD.replace("-- name: list_things", "-- name: other_things"))
    with pytest.raises(QueryFileError, match="differs from file name"):
        load_queries(root)


@pytest.mark.parametrize(
    "params", ["business_id", "business_id, limit, extra", "none"], ids=["missing", "extra", "none"]
)
def test_params_disagreeing_with_placeholders_is_an_error(root, params):
    write(root, GOOD.replace("-- params: business_id, limit", f"-- params: {params}"))
    with pytest.raises(QueryFileError, match="placeholders"):
        load_queries(root)


def test_two_statements_are_an_error(root):
    write(root, GOOD.rstrip() + ";\nDELETE FROM things;\n")
    with pytest.raises(QueryFileError, match="more than one statement"):
        load_queries(root)


def test_a_stray_percent_is_an_error(root):
    write(root, GOOD.replace("SELECT id", "SELECT id, '5%' AS pct"))
    with pytest.raises(QueryFileError, match="%"):
        load_queries(root)


def test_a_doubled_percent_is_fine(root):
    write(root, GOOD.replace("SELECT id", "SELECT id, '5%%' AS pct"))
    assert "list_things" in load_queries(root)


def test_an_unknown_returns_word_is_an_error(root):
    write(root, GOOD.replace("-- returns: rows (id)", "-- returns: table"))
    with pytest.raises(QueryFileError, match="returns"):
        load_queries(root)


def test_a_header_without_a_statement_is_an_error(root):
    write(root, "\n".join(GOOD.splitlines()[:3]) + "\n")
    with pytest.raises(QueryFileError, match="no statement"):
        load_queries(root)


def test_the_same_name_in_two_areas_is_an_error(root):
    write(root, GOOD, area="things")
    write(root, GOOD, area="more")
    with pytest.raises(QueryFileError, match="used twice"):
        load_queries(root)


def test_an_empty_tree_is_an_error(tmp_path):
    with pytest.raises(QueryFileError):
        load_queries(tmp_path)


def test_the_error_names_the_file(root):
    write(root, GOOD.rstrip() + ";\nSELECT 2;\n")
    with pytest.raises(QueryFileError) as caught:
        load_queries(root)
    assert "things/list_things.sql" in str(caught.value)


INCLUDING = """-- name: list_things
-- params: business_id
-- returns: rows (id, line)
SELECT id,
       -- include: thing_line
       AS line
  FROM things WHERE business_id = %(business_id)s
"""


def test_an_include_line_is_replaced_by_the_fragment_and_its_own_includes(root):
    fragment = "-- fragment: thing_line\n-- a comment\nCONCAT('{\"id\":', id,\n-- include: end\n"
    write(root, fragment, "fragments", "thing_line")
    write(root, "-- fragment: end\n'}')\n", "fragments", "end")
    write(root, INCLUDING)
    queries = load_queries(root)
    assert queries["list_things"].sql == (
        "SELECT id,\nCONCAT('{\"id\":', id,\n'}')\n       AS line\n"
        "  FROM things WHERE business_id = %(business_id)s"
    )
    assert "thing_line" not in queries and "end" not in queries  # fragments are no queries


def test_a_fragment_may_begin_with_an_include_after_its_comments(root):
    write(
        root,
        "-- fragment: thing_line\n-- a comment\n  -- include: start\nid,\n",
        "fragments",
        "thing_line",
    )
    write(root, "-- fragment: start\nCONCAT(\n", "fragments", "start")
    write(root, INCLUDING)
    assert load_queries(root)["list_things"].sql.startswith("SELECT id,\nCONCAT(\nid,\n")


def test_an_unknown_or_self_including_fragment_is_an_error(root):
    write(root, INCLUDING)
    with pytest.raises(QueryFileError, match="fragments/thing_line.sql: no such fragment"):
        load_queries(root)
    looping = "-- fragment: thing_line\nCONCAT(\n-- include: thing_line\n"
    write(root, looping, "fragments", "thing_line")
    with pytest.raises(QueryFileError, match="includes itself"):
        load_queries(root)


def test_the_invoice_line_is_written_once_for_the_pages_and_the_export():
    queries = load_queries()
    line = queries["list_invoices_by_issue_date_desc"].sql.split("SELECT id, issue_date,")[1]
    line = line.split("AS line")[0].strip()
    assert line.startswith("CONCAT('{\"id\":'") and "created_at" in line
    for name, query in queries.items():
        if name.startswith(("list_invoices_by_", "export_invoices_ndjson_by_")):
            assert line in query.sql, name
