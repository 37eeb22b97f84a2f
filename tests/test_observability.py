"""Probes, request ids, JSON logs, metrics and shared rate limits (docs/deployment.md)."""
from __future__ import annotations

import io
import json
import logging

import pytest

from lms import create_app
from lms.observability import JsonFormatter, RequestIdFilter, render_prometheus


@pytest.fixture
def make_app():
    """Extra apps on the test database (more workers); their pools are closed afterwards."""
    from lms.database import db

    made = []

    def make(settings):
        made.append(create_app("testing", settings))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_readyz_checks_the_database_only_without_redis(lms_client):
    response = lms_client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_redis_when_the_site_uses_it(lms_app, redis_url, redis_prefix):
    lms_app.config.update(REDIS_URL=redis_url, REDIS_PREFIX=redis_prefix)
    assert lms_app.test_client().get("/readyz").json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_when_redis_is_down(lms_app, caplog):
    lms_app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = lms_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "checks": {"database": "ok", "redis": "unavailable"}}
    assert lms_app.test_client().get("/healthz").status_code == 200  # liveness is the database only


def test_every_response_carries_a_request_id(lms_client):
    first = lms_client.get("/healthz").headers["X-Request-Id"]
    second = lms_client.get("/healthz").headers["X-Request-Id"]
    assert len(first) == 32 and first != second


@pytest.mark.parametrize("given, kept", [("lb-1234567890abcdef", True), ("short", False),
                                         ("has space in it 12345", False), ("x" * 65, False),
                                         ("<script>alert(1)</script>", False)])
def test_a_sane_incoming_request_id_is_kept(lms_client, given, kept):
    echoed = lms_client.get("/healthz", headers={"X-Request-Id": given}).headers["X-Request-Id"]
    assert (echoed == given) is kept


def test_json_log_lines_carry_the_request_id(lms_app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("lms.request")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    lms_app.config["LOG_REQUESTS"] = True
    try:
        response = lms_app.test_client().get("/healthz", headers={"X-Request-Id": "req-abcdef123"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert response.headers["X-Request-Id"] == "req-abcdef123"
    assert entry["request_id"] == "req-abcdef123"
    assert entry["level"] == "INFO" and entry["logger"] == "lms.request"
    assert entry["method"] == "GET" and entry["path"] == "/healthz" and entry["status"] == 200
    assert entry["endpoint"] == "health.healthz" and entry["ms"] >= 0
    assert entry["ts"].endswith("Z")


def test_json_formatter_keeps_exceptions_and_works_outside_requests():
    record = logging.LogRecord("lms.x", logging.ERROR, __file__, 1, "boom %s", ("now",), None)
    try:
        raise ValueError("bad")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "boom now" and entry["request_id"] == "-"
    assert "ValueError: bad" in entry["exception"]


def test_metrics_are_off_by_default(lms_client):
    assert lms_client.get("/metrics").status_code == 404


@pytest.mark.lms_config(METRICS_ENABLED=True)
def test_metrics_count_requests_and_latencies_per_endpoint(lms_client):
    for _ in range(3):
        lms_client.get("/healthz")
    lms_client.get("/no-such-page")
    response = lms_client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert 'lms_http_requests_total{endpoint="health.healthz",method="GET",status="200"} 3' in body
    assert 'lms_http_requests_total{endpoint="none",method="GET",status="404"} 1' in body
    assert 'lms_http_request_duration_seconds_bucket{endpoint="health.healthz",method="GET",le="+Inf"} 3' in body
    assert 'lms_http_request_duration_seconds_count{endpoint="health.healthz",method="GET"} 3' in body
    assert "health.metrics" not in body  # scrapes do not count themselves


@pytest.mark.lms_config(METRICS_ENABLED=True, METRICS_ALLOW=["10.0.0.1"])
def test_metrics_only_for_allowed_addresses(lms_client):
    assert lms_client.get("/metrics").status_code == 403
    assert lms_client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200


def test_histogram_buckets_are_cumulative():
    text = render_prometheus({"bucket|a|GET|0.005": 2, "bucket|a|GET|0.1": 1, "bucket|a|GET|+Inf": 1,
                              "sum|a|GET": 3.5, "count|a|GET|200": 4})
    assert 'le="0.005"} 2' in text and 'le="0.05"} 2' in text and 'le="0.1"} 3' in text
    assert 'le="+Inf"} 4' in text and "_sum{endpoint=\"a\",method=\"GET\"} 3.500000" in text


def test_metrics_of_every_worker_add_up_in_redis(lms_config, redis_url, redis_prefix, make_app):
    """Two apps (two workers, or two servers) count into one set of numbers."""
    settings = {**lms_config, "METRICS_ENABLED": True, "REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix}
    one, two = make_app(settings), make_app(settings)
    one.test_client().get("/healthz")
    two.test_client().get("/healthz")
    two.test_client().get("/healthz")
    body = one.test_client().get("/metrics").get_data(as_text=True)
    assert 'lms_http_requests_total{endpoint="health.healthz",method="GET",status="200"} 3' in body


def test_rate_limits_are_shared_through_redis(lms_app, lms_config, redis_url, redis_prefix, make_app):
    """The verify limit holds across workers: a client cannot multiply it by N servers."""
    settings = {**lms_config, "REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix,
                "VERIFY_RATE_LIMIT": "3 per minute"}
    one, two = make_app(settings), make_app(settings)
    codes = [app.test_client().get("/verify/NOPE-0000").status_code for app in (one, two, one, two)]
    assert codes[:3] == [404, 404, 404] and codes[3] == 429


def test_without_redis_each_process_counts_its_own(lms_app, lms_config, make_app):
    settings = {**lms_config, "VERIFY_RATE_LIMIT": "2 per minute"}
    app = make_app(settings)
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    codes = [app.test_client().get("/verify/NOPE-0000").status_code for _ in range(3)]
    assert codes == [404, 404, 429]
