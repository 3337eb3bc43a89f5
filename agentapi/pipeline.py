"""The request pipeline: every step of a request, in the order they run, written once.

A request goes through BEFORE_VIEW in order; the first step that raises answers (its
ApiError becomes the problem+json response). Then the view runs: it parses its query
parameters (400), checks the business (404) and reads the database (503). Every
response, the view's or an error's, then goes through AFTER_VIEW in order.

To add a step, write a function in the module of its concern and put it in its place
here. Nothing else registers a request hook: flask-limiter's are taken off again (no
limit is declared to it, agentapi/ratelimit.py), and werkzeug's route match happens
before the first step but is answered only by `raise_routing_error`, after the key
was counted. Which answers count against a key follows from this order, and
tests/test_pipeline.py and tests/test_ratelimit.py check it.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response

from . import auth, headers, logs, ratelimit
from .usage import UsageRecorder

Before = Callable[[], None]
After = Callable[[Response], Response]


def steps(recorder: UsageRecorder) -> tuple[tuple[Before, ...], tuple[After, ...]]:
    """The steps before and after the view, in the order they run."""
    before_view: tuple[Before, ...] = (
        headers.assign_request_id,  # request id (echoed or new), start of the timing
        headers.check_request_size,  # size caps: 414 URL, 431 header fields
        auth.authenticate,  # bearer token: 401; failure limit per address: 429
        ratelimit.take_request_slot,  # per-key rate limit: 429 (not counted); else counted
        auth.raise_routing_error,  # route match: unknown path 404, wrong method 405
        auth.require_scope,  # the route's scope: 403
    )
    after_view: tuple[After, ...] = (
        ratelimit.settle_deferred_quota,  # a conditional list request's quota: 304 uses none
        recorder.record,  # usage record: last_used_at after a 2xx/304
        ratelimit.add_rate_headers,  # X-RateLimit-*, RateLimit-Policy, RateLimit
        headers.add_standard_headers,  # X-Request-ID, nosniff, Cache-Control, Vary, CORS
        logs.log_request,  # the request's one log line
    )
    return before_view, after_view


def install(app: Flask, recorder: UsageRecorder) -> None:
    """Run the steps around every request of the app."""
    before_view, after_view = steps(recorder)

    def run_before_view() -> None:
        for step in before_view:
            step()

    def run_after_view(response: Response) -> Response:
        for step in after_view:
            response = step(response)
        return response

    app.before_request(run_before_view)
    app.after_request(run_after_view)
