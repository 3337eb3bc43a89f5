"""Bad input for every parameter of every route: a 400 that names the parameter."""

from __future__ import annotations

import pytest

from .factories import bearer
from .helpers import assert_problem, url

# path -> its parameters with one valid value each ("@" stands for the business id)
ROUTE_PARAMS = {
    "/businesses": {"limit": "5"},
    "/invoices": {
        "business_id": "@",
        "status": "paid",
        "issued_from": "2026-01-01",
        "issued_to": "2026-12-31",
        "updated_since": "2026-01-01T00:00:00Z",
        "sort": "issue_date",
        "include": "items",
        "limit": "5",
    },
    "/services": {"business_id": "@", "active": "true", "limit": "5"},
    "/availability": {
        "business_id": "@",
        "from": "2026-07-01",
        "to": "2026-07-08",
        "service_id": "ABC",
        "limit": "5",
    },
}

BAD_IDS = ["abc", "A" * 27, "AB-C", "AB C", "AB_C", "ÄB", "01htenant", "A.B"]
BAD_DATES = [
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "0000-01-01",
    "2026-2-1",
    "2026/02/01",
    "20260201",
    "2026-02-01T00:00:00Z",
    "today",
]
BAD_TIMESTAMPS = [
    "2026-02-01T00:00:00",
    "2026-02-01",
    "2026-02-30T00:00:00Z",
    "2026-02-01T25:00:00Z",
    "2026-02-01T10:00:61Z",
    "2026-02-01T10:00:99Z",
    "2026-02-01T10:60:00Z",
    "2026-02-01T10:00Z",
    "2026-02-01T00:00:00+25:00",
    "2026-02-01T00:00:00 UTC",
    # 0001-01-01T00:00:00+01:00 and 9999-12-31T23:59:59-01:00 are valid RFC 3339
    # times (the document's format), so they are answered with a correct list:
    # test_abuse.py::test_updated_since_past_the_calendar_edge_is_a_correct_list.
    "1767225600",
    "yesterday",
]
BAD_FROM_TO = [
    "2026-02-30",
    "2026-02-01T00:00:00",
    "2026-02-01T10:00Z",
    "2026-07-01T10:00:75Z",
    "2026-2-1",
    "tomorrow",
    "2026-07-01T00:00:00+25:00",
]
BAD_VALUES = {
    "business_id": BAD_IDS,
    "service_id": BAD_IDS,
    "issued_from": BAD_DATES,
    "issued_to": BAD_DATES,
    "updated_since": BAD_TIMESTAMPS,
    "from": BAD_FROM_TO,
    "to": BAD_FROM_TO,
    "status": ["unknown", "paid,unknown", "PAID", "paid,,void", "paid,", ",paid", "paid void"],
    "sort": ["date", "-issue_date,id", "ISSUE_DATE", "+issue_date", "id", "-"],
    "include": ["item", "items,lines", "ITEMS", "customer"],
    "active": ["yes", "1", "True", "TRUE", "0", "all"],
    "limit": ["0", "201", "-1", "1.5", "abc"],
}

CASES = [
    (path, name, bad)
    for path, params in ROUTE_PARAMS.items()
    for name in params
    for bad in BAD_VALUES[name]
]


def request(client, token, business, path, params):
    query = [(k, business["id"] if v == "@" else v) for k, v in params]
    return client.get(url(path), query_string=query, headers=bearer(token))


def assert_names(response, parameter):
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == parameter
    assert body["errors"][0]["message"]
    assert parameter in body["detail"]


@pytest.mark.parametrize("path", list(ROUTE_PARAMS))
def test_every_valid_parameter_together_is_accepted(client, token, business, path):
    response = request(client, token, business, path, list(ROUTE_PARAMS[path].items()))
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(("path", "name", "bad"), CASES)
def test_malformed_value_is_400_naming_the_parameter(client, token, business, path, name, bad):
    params = {**ROUTE_PARAMS[path], name: bad}
    assert_names(request(client, token, business, path, list(params.items())), name)


@pytest.mark.parametrize(
    ("path", "name"), [(p, n) for p, params in ROUTE_PARAMS.items() for n in params]
)
def test_empty_value_is_400_naming_the_parameter(client, token, business, path, name):
    params = {**ROUTE_PARAMS[path], name: ""}
    assert_names(request(client, token, business, path, list(params.items())), name)


@pytest.mark.parametrize(
    ("path", "name"),
    [(p, n) for p, params in ROUTE_PARAMS.items() for n in [*params, "cursor"]],
)
def test_repeated_parameter_is_400_naming_it(client, token, business, path, name):
    params = list(ROUTE_PARAMS[path].items())
    value = dict(params).get(name, "x")
    assert_names(request(client, token, business, path, [*params, (name, value)]), name)


@pytest.mark.parametrize("path", list(ROUTE_PARAMS))
@pytest.mark.parametrize("name", ["foo", "Limit", "business_id[]", "offset", "page", "fields"])
def test_unknown_parameter_is_400_naming_it(client, token, business, path, name):
    params = [*ROUTE_PARAMS[path].items(), (name, "1")]
    assert_names(request(client, token, business, path, params), name)


@pytest.mark.parametrize("path", ["/invoices", "/services", "/availability"])
def test_missing_business_id_is_400_naming_it(client, token, path):
    response = client.get(url(path), headers=bearer(token))
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"] == [{"parameter": "business_id", "message": "is required"}]


@pytest.mark.parametrize("path", ["/invoices", "/services", "/availability"])
def test_a_bad_parameter_is_400_even_for_an_unknown_business(client, token, path):
    response = client.get(
        url(path), query_string={"business_id": "0" * 26, "limit": "0"}, headers=bearer(token)
    )
    assert_names(response, "limit")


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-01T10:00:00Z",
        "2026-02-01t10:00:00z",
        "2026-02-01 10:00:00Z",
        "2026-02-01T10:00:00.5+01:00",
        "2016-12-31T23:59:60Z",
    ],
)
def test_updated_since_accepts_rfc3339_forms(client, token, business, value):
    response = request(
        client, token, business, "/invoices", [("business_id", "@"), ("updated_since", value)]
    )
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["draft", "draft,sent,paid,void", "paid,paid"])
def test_status_accepts_subsets(client, token, business, value):
    response = request(
        client, token, business, "/invoices", [("business_id", "@"), ("status", value)]
    )
    assert response.status_code == 200


# Python's \\d matches other scripts' digits, which int() and fromisoformat then read.
NON_ASCII_DIGITS = [
    ("/invoices", "issued_from", "٢٠٢٦-٠٢-٠١"),
    ("/invoices", "issued_to", "２０２６-02-01"),
    ("/invoices", "updated_since", "٢٠٢٦-02-01T10:00:00Z"),
    ("/invoices", "updated_since", "2026-02-01T1٠:00:00Z"),
    ("/invoices", "updated_since", "2026-02-01T10:00:00.٥Z"),
    ("/invoices", "updated_since", "2026-02-01T10:00:٠٥Z"),
    ("/invoices", "updated_since", "2026-02-01T10:00:٦٠Z"),
    ("/invoices", "updated_since", "2026-02-01T10:00:00+٠١:00"),
    ("/availability", "from", "2026-07-0١"),
    ("/availability", "to", "2026-07-02T00:00:00+00:٣٠"),
    ("/businesses", "limit", "٦٠"),
    ("/services", "limit", "５"),
]
BAD_OFFSETS = ["+00:60", "-00:60", "+24:00", "+23:99", "+99:00", "-24:00"]


@pytest.mark.parametrize(("path", "name", "value"), NON_ASCII_DIGITS)
def test_non_ascii_digits_are_400_as_malformed(client, token, business, path, name, value):
    params = {**ROUTE_PARAMS[path], name: value}
    response = request(client, token, business, path, list(params.items()))
    assert_names(response, name)
    # Refused for their form, not read as numbers and then found to be no real date.
    assert "real" not in response.get_json()["errors"][0]["message"]


@pytest.mark.parametrize("offset", BAD_OFFSETS)
@pytest.mark.parametrize(
    ("path", "name"), [("/invoices", "updated_since"), ("/availability", "from")]
)
def test_an_offset_outside_rfc3339_ranges_is_400(client, token, business, path, name, offset):
    params = {**ROUTE_PARAMS[path], name: f"2026-07-01T00:00:00{offset}"}
    if name == "from":
        params["to"] = "2026-07-03"
    assert_names(request(client, token, business, path, list(params.items())), name)


@pytest.mark.parametrize("offset", ["+23:59", "-23:59", "+00:00", "-00:00", "+05:30"])
def test_an_offset_at_the_edges_of_rfc3339_ranges_is_accepted(client, token, business, offset):
    response = request(
        client,
        token,
        business,
        "/invoices",
        [("business_id", "@"), ("updated_since", f"2026-07-01T00:00:00{offset}")],
    )
    assert response.status_code == 200, response.get_json()


def test_a_bad_value_is_reported_with_a_helpful_message(client, token, business):
    response = request(
        client, token, business, "/invoices", [("business_id", "@"), ("issued_from", "2026-02-30")]
    )
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"][0]["message"] == "is not a real calendar date"
