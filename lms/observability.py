"""Request ids, structured logs and request metrics: what an operator needs to see a site.

- Every request gets an id: the caller's ``X-Request-Id`` when it is a sane token (a load
  balancer's), else a new one. It is echoed in the response and put on every log record
  written while the request runs, so one id finds a request across proxy, app and database.
- ``LOG_FORMAT=json`` writes one JSON object per line (timestamp, level, logger, message,
  request id, and a request's method/path/status/ms); ``LOG_REQUESTS`` adds a line per request.
- ``METRICS_ENABLED`` counts requests and their latencies per endpoint, method and status,
  shown at ``/metrics`` in Prometheus' text format. With Redis the numbers of every worker
  and server add up in one place; without it they are the process's own (the embedded,
  single-process mode).
"""
from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import uuid
from bisect import bisect_left
from collections import defaultdict

from flask import Flask, g, has_request_context, request

log = logging.getLogger("lms.request")

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
#: Latency buckets in seconds: fine below 50 ms, where pages should be, coarse above.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METRICS_KEY = "lms.metrics"


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.before_request(_start)
    app.after_request(_finish)
    if app.config.get("METRICS_ENABLED"):
        app.extensions[_METRICS_KEY] = Metrics(app)


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def _start() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    started = g.get("request_started")
    if started is None:
        return response
    seconds = time.perf_counter() - started
    from flask import current_app

    endpoint = request.endpoint or "none"
    metrics = current_app.extensions.get(_METRICS_KEY)
    if metrics is not None and endpoint != "health.metrics":
        metrics.observe(endpoint, request.method, response.status_code, seconds)
    if current_app.config.get("LOG_REQUESTS"):
        log.info("%s %s %s %.1fms", request.method, request.path, response.status_code, seconds * 1000,
                 extra={"method": request.method, "path": request.path, "endpoint": endpoint,
                        "status": response.status_code, "ms": round(seconds * 1000, 1)})
    return response


# -- logs ----------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Puts the request id (or "-") on every record, for any format."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


#: LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra fields given to the logger are kept."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                 + f".{int(record.msecs):03d}Z",
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage(), "request_id": getattr(record, "request_id", "-")}
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_configured: dict[str, logging.Handler] = {}


def configure_logging(app: Flask) -> None:
    """Install the process's log handler once (the first app decides; tests keep theirs)."""
    if app.testing or "handler" in _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if (app.config.get("LOG_FORMAT") or "text").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL") or "INFO")
    _configured["handler"] = handler


# -- metrics -------------------------------------------------------------------------------


class Metrics:
    """Request counters and latency histograms, in Redis when there is one, else in memory."""

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.local: dict[str, float] = defaultdict(float)

    def _redis(self):
        from lms.connections import redis_client

        return redis_client(self.app)

    def _key(self) -> str:
        from lms.connections import key

        return key("metrics", self.app)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one request; never lets a metrics failure touch the response."""
        bucket = BUCKETS[i] if (i := bisect_left(BUCKETS, seconds)) < len(BUCKETS) else "+Inf"
        fields = {f"count|{endpoint}|{method}|{status}": 1,
                  f"bucket|{endpoint}|{method}|{bucket}": 1,
                  f"sum|{endpoint}|{method}": seconds}
        client = self._redis()
        try:
            if client is None:
                with self.lock:
                    for name, value in fields.items():
                        self.local[name] += value
                return
            pipe = client.pipeline(transaction=False)
            for name, value in fields.items():
                if isinstance(value, int):
                    pipe.hincrby(self._key(), name, value)
                else:
                    pipe.hincrbyfloat(self._key(), name, value)
            pipe.execute()
        except Exception:
            logging.getLogger(__name__).warning("metrics not recorded", exc_info=True)

    def snapshot(self) -> dict[str, float]:
        client = self._redis()
        if client is None:
            with self.lock:
                return dict(self.local)
        return {k.decode(): float(v) for k, v in client.hgetall(self._key()).items()}

    def exposition(self) -> str:
        """The Prometheus text format (version 0.0.4) of everything counted so far."""
        return render_prometheus(self.snapshot())


def _labels(**labels) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{name}="{escape(str(value))}"' for name, value in labels.items()) + "}"


def render_prometheus(values: dict[str, float]) -> str:
    """Counters and cumulative histograms from the flat "kind|labels…" fields."""
    counts, buckets, sums = [], defaultdict(dict), {}
    for name, value in values.items():
        kind, *parts = name.split("|")
        if kind == "count" and len(parts) == 3:
            counts.append((parts, value))
        elif kind == "bucket" and len(parts) == 3:
            buckets[(parts[0], parts[1])][parts[2]] = value
        elif kind == "sum" and len(parts) == 2:
            sums[(parts[0], parts[1])] = value
    lines = ["# HELP lms_http_requests_total Requests answered, by endpoint, method and status.",
             "# TYPE lms_http_requests_total counter"]
    for (endpoint, method, status), value in sorted(counts):
        lines.append(f"lms_http_requests_total{_labels(endpoint=endpoint, method=method, status=status)} {int(value)}")
    lines += ["# HELP lms_http_request_duration_seconds Time to answer, by endpoint and method.",
              "# TYPE lms_http_request_duration_seconds histogram"]
    for (endpoint, method), observed in sorted(buckets.items()):
        running = 0
        for bound in (*BUCKETS, "+Inf"):
            running += observed.get(str(bound), 0)
            lines.append("lms_http_request_duration_seconds_bucket"
                         f"{_labels(endpoint=endpoint, method=method, le=bound)} {int(running)}")
        lines.append(f"lms_http_request_duration_seconds_sum{_labels(endpoint=endpoint, method=method)} "
                     f"{sums.get((endpoint, method), 0.0):.6f}")
        lines.append(f"lms_http_request_duration_seconds_count{_labels(endpoint=endpoint, method=method)} {int(running)}")
    return "\n".join(lines) + "\n"


def metrics_of(app: Flask) -> Metrics | None:
    return app.extensions.get(_METRICS_KEY)
