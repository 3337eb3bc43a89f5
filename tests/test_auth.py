"""Authentication, scopes, business restrictions, last_used_at and per-request headers."""

from __future__ import annotations

import re
import time

import pytest

from agentapi import logs

from .conftest import sql
from .factories import bearer
from .helpers import (
    BUSINESS_ROUTES,
    assert_problem,
    get,
    url,
    without_request_id,
)

REALM = 'Bearer realm="agentapi"'


# --- 401 (every kind of bad token: test_abuse.py::test_unknown_wrong_expired_and_revoked_...)


def test_no_authorization_header_is_401_unauthorized_with_a_realm_challenge(client):
    response = get(client, None, "/businesses")
    body = assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == REALM
    assert "error=" not in response.headers["WWW-Authenticate"]
    assert "Bearer" in body["detail"]


def test_key_that_expires_in_the_future_works(client, factory):
    token = factory.key(expires_in_days=1)
    assert get(client, token, "/businesses").status_code == 200


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(client, token, scheme):
    response = get(client, None, "/businesses", headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["access_token", "token", "api_key", "key"])
def test_token_in_the_query_string_is_not_accepted(client, token, name):
    response = get(client, None, "/businesses", **{name: token})
    assert_problem(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "{t}"},
        {"Api-Key": "{t}"},
        {"Authorization": "Token {t}"},
        {"Authorization": "Basic {t}"},
        {"Authorization": "{t}"},
        {"Cookie": "token={t}"},
    ],
    ids=["x-api-key", "api-key", "token-scheme", "basic-scheme", "bare", "cookie"],
)
def test_token_in_another_header_or_scheme_is_not_accepted(client, token, headers):
    response = get(
        client, None, "/businesses", headers={k: v.format(t=token) for k, v in headers.items()}
    )
    assert_problem(response, 401, "unauthorized")


# --- public routes (route scopes: test_abuse.py::test_key_without_the_route_scope_gets_403)


@pytest.mark.parametrize("path", ["/schema", "/health"])
def test_public_routes_need_no_key(client, path):
    response = client.get(url(path))
    assert response.status_code == 200
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize("path", ["/schema", "/health"])
def test_public_routes_ignore_a_bad_token(client, path):
    response = client.get(url(path), headers=bearer("vb_zzzzzzzz_" + "A" * 32))
    assert response.status_code == 200


# --- businesses a key is restricted to (another business's answers: test_abuse.py) --------


def mine_and_other(two_businesses) -> tuple[dict, dict]:
    """Business A (the restricted key's) and B, from the shared fixture."""
    return two_businesses["A"]["business"], two_businesses["B"]["business"]


def test_unrestricted_key_lists_every_business(client, factory, two_businesses):
    token = factory.key()
    body = get(client, token, "/businesses").get_json()
    assert sorted(b["id"] for b in body["data"]) == sorted(
        b["id"] for b in mine_and_other(two_businesses)
    )


def test_restricted_key_with_several_businesses_lists_each(client, factory):
    a, b, c = factory.business(), factory.business(), factory.business()
    token = factory.key(businesses=(a["id"], c["id"]))
    body = get(client, token, "/businesses").get_json()
    assert [x["id"] for x in body["data"]] == sorted([a["id"], c["id"]])
    assert b["id"] not in {x["id"] for x in body["data"]}


@pytest.mark.parametrize("path", BUSINESS_ROUTES)
def test_restricted_key_reads_its_own_business(client, factory, two_businesses, path):
    mine, _ = mine_and_other(two_businesses)
    token = factory.key(businesses=(mine["id"],))
    response = client.get(
        url(path), query_string={"business_id": mine["id"]}, headers=bearer(token)
    )
    assert response.status_code == 200
    assert {row["business_id"] for row in response.get_json()["data"]} == {mine["id"]}


@pytest.mark.parametrize("path", BUSINESS_ROUTES)
def test_restricted_key_gets_the_same_404_for_another_business_as_for_a_deleted_one(
    client, factory, sql_conn, two_businesses, path
):
    mine, other = mine_and_other(two_businesses)
    token = factory.key(businesses=(mine["id"],))
    forbidden = client.get(
        url(path), query_string={"business_id": other["id"]}, headers=bearer(token)
    )
    body = assert_problem(forbidden, 404, "not_found")
    sql(sql_conn, "UPDATE businesses SET deleted_at = UTC_TIMESTAMP(6) WHERE id = %s", other["id"])
    unrestricted = factory.key()
    deleted = client.get(
        url(path), query_string={"business_id": other["id"]}, headers=bearer(unrestricted)
    )
    assert without_request_id(body) == without_request_id(assert_problem(deleted, 404, "not_found"))


def test_restricted_key_does_not_list_its_business_once_deleted(
    client, factory, sql_conn, two_businesses
):
    mine, _ = mine_and_other(two_businesses)
    token = factory.key(businesses=(mine["id"],))
    sql(sql_conn, "UPDATE businesses SET deleted_at = UTC_TIMESTAMP(6) WHERE id = %s", mine["id"])
    assert get(client, token, "/businesses").get_json()["data"] == []


# --- last_used_at -------------------------------------------------------------------------


def last_used(sql_conn, token):
    return sql(sql_conn, "SELECT last_used_at FROM api_keys WHERE prefix = %s", token[3:11])[0][
        "last_used_at"
    ]


def test_a_200_records_last_used_at(make_app, factory, sql_conn):
    client = make_app(LAST_USED_INTERVAL="0").test_client()
    token = factory.key()
    assert last_used(sql_conn, token) is None
    assert get(client, token, "/businesses").status_code == 200
    assert last_used(sql_conn, token) is not None


def test_a_successful_head_records_last_used_at(make_app, factory, sql_conn):
    client = make_app(LAST_USED_INTERVAL="0").test_client()
    token = factory.key()
    assert client.head(url("/businesses"), headers=bearer(token)).status_code == 200
    assert last_used(sql_conn, token) is not None


@pytest.mark.parametrize(
    "case",
    ["401_wrong_secret", "403_scope", "404_business", "400_parameter", "404_path", "405"],
)
def test_a_failed_request_does_not_record_last_used_at(make_app, factory, sql_conn, case):
    client = make_app(LAST_USED_INTERVAL="0").test_client()
    token = factory.key(scopes=["businesses:read", "invoices:read"])
    if case == "401_wrong_secret":
        response = get(client, token[:-1] + ("x" if token[-1] != "x" else "y"), "/businesses")
    elif case == "403_scope":
        response = client.get(
            url("/services"), query_string={"business_id": "0"}, headers=bearer(token)
        )
    elif case == "404_business":
        response = client.get(
            url("/invoices"), query_string={"business_id": "0"}, headers=bearer(token)
        )
    elif case == "400_parameter":
        response = get(client, token, "/businesses", limit="0")
    elif case == "404_path":
        response = client.get(url("/nothing-here"), headers=bearer(token))
    else:
        response = client.post(url("/businesses"), headers=bearer(token))
    assert response.status_code == int(case[:3])
    assert last_used(sql_conn, token) is None


def test_last_used_at_is_written_at_most_once_per_interval(make_app, factory, sql_conn):
    client = make_app(LAST_USED_INTERVAL="60").test_client()
    token = factory.key()
    assert get(client, token, "/businesses").status_code == 200
    first = last_used(sql_conn, token)
    assert first is not None
    # Clear it behind the app's back: a second write within the interval would show.
    sql(sql_conn, "UPDATE api_keys SET last_used_at = NULL WHERE prefix = %s", token[3:11])
    assert get(client, token, "/businesses").status_code == 200
    assert last_used(sql_conn, token) is None


def test_last_used_at_recorded_by_another_process_is_not_rewritten_within_the_interval(
    make_app, factory, sql_conn
):
    client = make_app(LAST_USED_INTERVAL="60").test_client()
    token = factory.key()
    sql(
        sql_conn,
        "UPDATE api_keys SET last_used_at = UTC_TIMESTAMP(6) - INTERVAL 10 SECOND"
        " WHERE prefix = %s",
        token[3:11],
    )
    before = last_used(sql_conn, token)
    assert get(client, token, "/businesses").status_code == 200
    assert last_used(sql_conn, token) == before


def test_last_used_at_is_written_again_after_the_interval(make_app, factory, sql_conn):
    client = make_app(LAST_USED_INTERVAL="1").test_client()
    token = factory.key()
    assert get(client, token, "/businesses").status_code == 200
    first = last_used(sql_conn, token)
    time.sleep(1.1)
    assert get(client, token, "/businesses").status_code == 200
    assert last_used(sql_conn, token) > first


def test_a_failed_last_used_at_write_is_not_an_error(make_app, factory, sql_conn):
    client = make_app(
        LAST_USED_INTERVAL="0", WRITE_DATABASE_URL="mysql://root@127.0.0.1:1/nothing"
    ).test_client()
    token = factory.key()
    assert get(client, token, "/businesses").status_code == 200
    assert last_used(sql_conn, token) is None


# --- headers on every response -----------------------------------------------------------


@pytest.mark.parametrize("request_id", ["abc", "A.b_c-9", "x" * 128])
def test_a_valid_request_id_is_echoed(client, token, request_id):
    response = get(client, token, "/businesses", headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id


@pytest.mark.parametrize(
    "request_id", ["x" * 129, "has space", "semi;colon", "slash/", "é", ""], ids=repr
)
def test_an_invalid_request_id_is_replaced(client, token, request_id):
    response = get(client, token, "/businesses", headers={"X-Request-ID": request_id})
    generated = response.headers["X-Request-ID"]
    assert generated != request_id
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,128}", generated)


def test_a_request_id_is_generated_when_absent_and_differs_per_request(client, token):
    first = get(client, token, "/businesses").headers["X-Request-ID"]
    second = get(client, token, "/businesses").headers["X-Request-ID"]
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,128}", first)
    assert first != second


@pytest.mark.parametrize("request_id", ["trace-123", None])
def test_error_bodies_carry_the_request_id(client, request_id):
    headers = {"X-Request-ID": request_id} if request_id else {}
    response = get(client, None, "/businesses", headers=headers)
    body = assert_problem(response, 401, "unauthorized")
    if request_id:
        assert body["request_id"] == request_id


def test_the_log_line_carries_the_request_id_and_never_the_secret(make_app, factory, capsys):
    client = make_app().test_client()
    token = factory.key()
    get(client, token, "/businesses", headers={"X-Request-ID": "log-check-1"})
    wrong = token[:-1] + ("0" if token[-1] != "0" else "1")
    get(client, wrong, "/businesses", headers={"X-Request-ID": "log-check-2"})
    logs.flush()  # lines go out in batches (agentapi/logbatch.py)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "log-check-" in line]
    assert len(lines) == 2
    assert '"request_id": "log-check-1"' in lines[0]
    assert token[3:11] in lines[0]
    assert token[12:] not in err and token[12:-1] not in err


def test_a_429_does_not_record_last_used_at(make_app, factory, sql_conn):
    client = make_app(LAST_USED_INTERVAL="0", RATE_LIMIT="1 per 10 seconds").test_client()
    token = factory.key()
    assert get(client, token, "/businesses", limit="0").status_code == 400
    assert get(client, token, "/businesses").status_code == 429
    assert last_used(sql_conn, token) is None
