"""The request pipeline: its steps run in the order agentapi/pipeline.py writes, and only those."""

from __future__ import annotations

from agentapi import auth, headers, logs, pipeline, ratelimit
from agentapi.usage import UsageRecorder

from .factories import bearer
from .helpers import assert_problem, url


def test_the_steps_are_written_in_the_order_docs_api_md_gives():
    before, after = pipeline.steps(UsageRecorder(60))
    assert [step.__name__ for step in before] == [
        "assign_request_id",
        "check_request_size",
        "authenticate",
        "take_request_slot",
        "raise_routing_error",
        "require_scope",
    ]
    assert [step.__name__ for step in after] == [
        "settle_deferred_quota",
        "record",
        "add_rate_headers",
        "add_standard_headers",
        "log_request",
    ]
    assert before[0] is headers.assign_request_id and after[-1] is logs.log_request
    assert before[2] is auth.authenticate and before[3] is ratelimit.take_request_slot


def test_no_other_request_hook_is_registered(app):
    # The pipeline's two hooks only: flask-limiter's are taken off (it declares no limit
    # and counts nothing). A library hook that counted would decide a step's place.
    before = app.before_request_funcs
    after = app.after_request_funcs
    assert [h.__module__ for hooks in before.values() for h in hooks] == ["agentapi.pipeline"]
    assert [h.__module__ for hooks in after.values() for h in hooks] == ["agentapi.pipeline"]
    teardown = [h for hooks in app.teardown_request_funcs.values() for h in hooks]
    assert not [h for h in teardown if "flask_limiter" in getattr(h, "__module__", "")]


def test_a_403_is_counted_because_the_limit_runs_before_the_scope(make_app, factory):
    client = make_app(RATE_LIMIT="2 per minute").test_client()
    token = factory.key(scopes=["invoices:read"])
    first = client.get(url("/businesses"), headers=bearer(token))
    assert_problem(first, 403, "insufficient_scope")
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert_problem(client.get(url("/businesses"), headers=bearer(token)), 403, "insufficient_scope")
    assert_problem(client.get(url("/businesses"), headers=bearer(token)), 429, "rate_limited")


def test_an_unknown_path_with_a_valid_key_is_counted_then_answered_404(make_app, factory):
    client = make_app(RATE_LIMIT="1 per minute").test_client()
    token = factory.key()
    answer = client.get(url("/nowhere"), headers=bearer(token))
    assert_problem(answer, 404, "not_found")
    assert answer.headers["X-RateLimit-Remaining"] == "0"
    assert_problem(client.get(url("/nowhere"), headers=bearer(token)), 429, "rate_limited")


def test_flasks_static_route_and_double_slashes_are_not_routes(client, token):
    assert_problem(client.get("/static/x.js", headers=bearer(token)), 404, "not_found")
    answer = client.get("//api/agent/v1//invoices", headers={**bearer(token), "Host": "evil"})
    assert_problem(answer, 404, "not_found")
    assert "Location" not in answer.headers


def test_every_answer_varies_on_origin_when_cors_is_configured(make_app, token):
    client = make_app(CORS_ORIGINS="https://dash.example").test_client()
    listed = client.get(url("/schema"), headers={"Origin": "https://dash.example"})
    other = client.get(url("/schema"), headers={"Origin": "https://other.example"})
    none = client.get(url("/schema"))
    for answer in (listed, other, none):
        assert "Origin" in answer.headers["Vary"]
    assert listed.headers["Access-Control-Allow-Origin"] == "https://dash.example"
    assert "Access-Control-Allow-Origin" not in other.headers
    keyed = client.get(url("/businesses"), headers=bearer(token))
    assert {"Origin", "Authorization"} <= {v.strip() for v in keyed.headers["Vary"].split(",")}
