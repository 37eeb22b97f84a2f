"""The load harness's pure parts (bench/load.py): Lua generation, wrk result parsing,
percentiles, targets and the page scraping the journey relies on. The harness itself runs
in CI as ``python bench/load.py --smoke``; here only the wrk round trip touches a socket
(a one-second run against a stdlib server, skipped when wrk is not installed)."""
from __future__ import annotations

import http.server
import importlib.util
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

LOAD_PY = Path(__file__).resolve().parents[1] / "bench" / "load.py"


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("bench_load", LOAD_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


# ------------------------------------------------------------------ percentiles


def test_percentile_interpolates_between_ranks(load):
    values = list(range(1, 101))  # 1..100
    assert load.percentile(values, 50) == pytest.approx(50.5)
    assert load.percentile(values, 0) == 1
    assert load.percentile(values, 100) == 100
    assert load.percentile(values, 99) == pytest.approx(99.01)
    assert load.percentile([7.0], 95) == 7.0
    assert load.percentile([3, 1, 2], 50) == 2  # unsorted input


def test_percentile_of_nothing_is_an_error(load):
    with pytest.raises(ValueError):
        load.percentile([], 50)


def test_latency_summary_in_milliseconds(load):
    summary = load.latency_summary([0.010] * 95 + [0.100] * 5)
    assert summary["p50_ms"] == 10.0
    assert summary["max_ms"] == 100.0
    assert summary["p99_ms"] == pytest.approx(100.0)
    assert load.latency_summary([])["p99_ms"] is None


# ------------------------------------------------------------------ Lua


def test_lua_string_escapes_everything_that_could_break_the_literal(load):
    assert load.lua_string("session=abc.def-_") == '"session=abc.def-_"'
    assert load.lua_string('a"b\\c') == '"a\\"b\\\\c"'
    assert load.lua_string("x\ny\0") == '"x\\010y\\000"'
    assert load.lua_string("é") == '"\\195\\169"'  # UTF-8 bytes, decimal escapes


def test_lua_script_lists_every_request_and_counts_statuses(load):
    reqs = [load.Request("GET", "/courses", {"Cookie": "session=one", "User-Agent": "ua"}),
            load.Request("POST", "/learn/attempts/abc/save", {"Cookie": "session=two"}, "csrf_token=t&q0=x")]
    script = load.lua_script(reqs, "test")
    assert '{"GET", "/courses", {["Cookie"] = "session=one", ["User-Agent"] = "ua"}, nil},' in script
    assert '{"POST", "/learn/attempts/abc/save", {["Cookie"] = "session=two"}, "csrf_token=t&q0=x"},' in script
    for hook in ("function setup(thread)", "function init(args)", "function request()",
                 "function response(status, headers, body)", "function done(summary, latency, requests)"):
        assert hook in script
    assert load.WRK_MARKER in script
    assert "application/x-www-form-urlencoded" in script
    assert script.count("{") == script.count("}")


def test_lua_script_needs_a_request(load):
    with pytest.raises(ValueError):
        load.lua_script([])


# ------------------------------------------------------------------ wrk output


def _wrk_line(load, **over):
    raw = {"requests": 1500, "duration_us": 15_000_000, "bytes": 10, "connect_errors": 0, "read_errors": 0,
           "write_errors": 0, "timeouts": 0, "status_errors": 0, "s1xx": 0, "s2xx": 1500, "s3xx": 0,
           "s4xx": 0, "s5xx": 0, "first_bad_status": 0, "p50_us": 12000, "p90_us": 20000,
           "p95_us": 25000, "p99_us": 40000, "max_us": 90000, "mean_us": 13000.5}
    raw.update(over)
    return "Running 15s test @ http://x\n" + load.WRK_MARKER + json.dumps(raw) + "\n"


def test_parse_wrk_reports_throughput_and_milliseconds(load):
    result = load.parse_wrk(_wrk_line(load))
    assert result["rps"] == 100.0
    assert (result["p50_ms"], result["p95_ms"], result["p99_ms"]) == (12.0, 25.0, 40.0)
    assert result["errors"] == 0 and result["first_bad_status"] is None


def test_parse_wrk_counts_redirects_and_socket_errors_as_errors(load):
    result = load.parse_wrk(_wrk_line(load, s2xx=1400, s3xx=100, first_bad_status=302, timeouts=3))
    assert result["non_2xx"] == 100
    assert result["socket_errors"] == 3
    assert result["errors"] == 103
    assert result["first_bad_status"] == 302


def test_parse_wrk_without_any_success_is_an_error(load):
    assert load.parse_wrk(_wrk_line(load, requests=0, s2xx=0))["errors"] == 1


def test_parse_wrk_without_result_line_fails_loudly(load):
    with pytest.raises(ValueError, match="no result line"):
        load.parse_wrk("PANIC: unprotected error in call to Lua API\n")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install -y wrk)")
def test_generated_script_runs_in_wrk(load, tmp_path):
    """The generated Lua really runs: statuses, bodies and the JSON line, for one second."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.headers.get("Cookie"))
            self.send_response(302 if self.path == "/away" else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(body.decode())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        script = tmp_path / "ok.lua"
        script.write_text(load.lua_script([load.Request("GET", "/a", {"Cookie": "session=one"}),
                                           load.Request("POST", "/b", {"Cookie": "session=two"}, "csrf_token=t")]))
        result = load.run_wrk(url + "/a", script, concurrency=2, duration=1, threads=2)
        assert result["requests"] > 0 and result["errors"] == 0
        assert "session=one" in seen and "csrf_token=t" in seen

        script.write_text(load.lua_script([load.Request("GET", "/away")]))
        result = load.run_wrk(url + "/away", script, concurrency=1, duration=1, threads=1)
        assert result["first_bad_status"] == 302 and result["errors"] >= result["requests"]
    except subprocess.TimeoutExpired:  # pragma: no cover
        pytest.fail("wrk did not finish")
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ targets and output


def _ok(rps, p95=10.0):
    return {"rps": rps, "p50_ms": 5.0, "p95_ms": p95, "p99_ms": 20.0, "errors": 0}


def test_targets_pass_and_fail(load):
    endpoints = {"lesson": _ok(500, p95=30), "catalog": _ok(400, p95=60)}
    burst = {"size": 500, "p99_ms": 150.0, "lost": 0}
    targets = {t["target"]: t for t in load.evaluate_targets(endpoints, burst, _ok(1000), _ok(90), 20)}
    assert targets["lesson page p95 at 20 concurrent"]["passed"] is True
    assert targets["catalog p95 at 20 concurrent"]["passed"] is False
    assert targets["quiz submit p99 in a 500-learner burst"]["passed"] is True
    assert targets["quiz submit burst: attempts lost"]["passed"] is True
    assert targets["lesson throughput / hello throughput"]["value"] == 0.5
    assert targets["lesson throughput / hello throughput"]["passed"] is True
    assert targets["lesson throughput / Kolibri learner page"]["value"] == pytest.approx(5.56)
    assert targets["lesson throughput / Kolibri learner page"]["passed"] is True


def test_targets_not_measured_are_neither_pass_nor_fail(load):
    endpoints = {"lesson": {**_ok(500), "errors": 12}, "catalog": _ok(400)}
    targets = load.evaluate_targets(endpoints, {"size": 20, "p99_ms": 300.0, "lost": 2},
                                    _ok(1000), {"error": "kolibri did not start"}, 4)
    by_name = {t["target"]: t for t in targets}
    assert by_name["lesson page p95 at 4 concurrent"]["passed"] is None  # a failed run is no figure
    assert by_name["lesson throughput / Kolibri learner page"]["passed"] is None
    assert by_name["quiz submit burst: attempts lost"]["passed"] is False
    assert "n/a" in load.format_targets(targets) and "FAIL" in load.format_targets(targets)


def test_table_shows_errors_and_first_bad_status(load):
    table = load.format_table([("lesson", {**_ok(80.0), "errors": 3, "first_bad_status": 302}),
                               ("kolibri", {"error": "RuntimeError: no peer"})])
    assert "first bad status 302" in table
    assert "RuntimeError: no peer" in table


# ------------------------------------------------------------------ scraping the pages


def test_csrf_token_from_hidden_field_or_meta(load):
    assert load.csrf_token('<input id="csrf_token" name="csrf_token" type="hidden" value="abc.def">') == "abc.def"
    assert load.csrf_token('<input type="hidden" name="csrf_token" value="xyz">') == "xyz"
    assert load.csrf_token('<meta name="csrf-token" content="m1">') == "m1"
    assert load.csrf_token("<form></form>") is None


ATTEMPT_PAGE = """
<form method="post" action="/logout"><input name="csrf_token" value="t"><input name="other" value="no"></form>
<form method="post" action="/learn/attempts/u1/submit" class="attempt" id="attempt">
  <input id="csrf_token" name="csrf_token" type="hidden" value="tok">
  <input type="radio" name="q0" value="r1"> <input type="radio" name="q0" value="r2">
  <input type="checkbox" name="q1" value="c1"> <input type="checkbox" name="q1" value="c2">
  <input type="text" name="q2"> <input type="text" name="q3" inputmode="decimal">
  <textarea name="q4"></textarea>
  <select name="q5-0"><option value="">-</option><option value="1">1</option><option value="2">2</option></select>
  <input type="hidden" name="q5-0-item" value="Surat diterima">
  <select name="q5-1"><option value="">-</option><option value="1">1</option><option value="2">2</option></select>
  <input type="hidden" name="q5-1-item" value="Arsip">
  <button type="submit">Submit</button>
</form>
"""


def test_answer_fields_fill_every_question_of_the_attempt_form_only(load):
    fields = load.answer_fields(ATTEMPT_PAGE)
    assert fields == {"q0": "r1", "q1": "c1", "q2": "jawaban", "q3": "8",
                      "q4": "Jawaban uraian untuk uji beban.", "q5-0": "1", "q5-0-item": "Surat diterima",
                      "q5-1": "2", "q5-1-item": "Arsip"}


def test_course_links_in_page_order(load):
    page = ('<a href="/learn/c1">resume</a><a href="/learn/c1/offline.zip" download>zip</a>'
            '<a href="/learn/c1/intro">1</a><a href="/learn/c1/next">2</a>'
            '<a href="/learn/c1/quiz/final">quiz</a><a href="/learn/c1/assets/x.png">img</a>'
            '<a href="/learn/c1/intro">again</a><a href="/learn/other/zzz">other</a>')
    assert load.course_links(page, "c1") == (["intro", "next"], ["final"])


# ------------------------------------------------------------------ options


def test_smoke_defaults_are_small_and_explicit_options_win(load):
    args = load.parse_args(["--smoke", "--duration", "2"])
    assert (args.users, args.learners, args.concurrency, args.burst, args.peer) == (200, 30, 4, 20, "none")
    assert args.duration == 2
    full = load.parse_args([])
    assert (full.users, full.courses, full.completions, full.learners) == (100_000, 10_000, 1_000_000, 1000)
    assert (full.concurrency, full.duration, full.burst, full.peer) == (20, 15.0, 500, "kolibri")


def test_learners_must_cover_sessions_and_burst(load):
    with pytest.raises(SystemExit):
        load.parse_args(["--learners", "100", "--sessions", "50", "--burst", "500"])


def test_protected_databases_are_refused(load):
    with pytest.raises(SystemExit):
        load.refuse_protected("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    load.refuse_protected("postgresql+psycopg://postgres@127.0.0.1:5432/lms_load")
