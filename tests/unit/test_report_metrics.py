"""The report's last hour of metrics, asked of a Prometheus stand-in on loopback: one file per
query with the range that made it, the alerts firing now, a refused query noted and not fatal,
and nothing but the reason when Prometheus does not answer."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from installer.report.metrics import ALERTS_FILE, QUERIES, RANGE_S, STEP_S, collect_metrics

ALERT = {"labels": {"alertname": "NodeDown", "severity": "critical", "node": "node-2"},
         "annotations": {"summary": "node-2 does not answer"}, "state": "firing", "activeAt": "2026-01-01T00:00:00Z"}
SERIES = [{"metric": {"instance": "10.0.0.5:9100"}, "values": [[1000, "12.5"], [1060, "13"]]}]


class FakePrometheus(BaseHTTPRequestHandler):
    asked: list[dict] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urllib.parse.urlsplit(self.path)
        params, code = dict(urllib.parse.parse_qsl(url.query)), 200
        if url.path == "/api/v1/alerts":
            body = {"status": "success", "data": {"alerts": [ALERT, {**ALERT, "state": "pending"}]}}
        elif params.get("query") == "up":
            body, code = {"status": "error", "error": "query timed out"}, 422
        else:
            FakePrometheus.asked.append(params)
            body = {"status": "success", "data": {"resultType": "matrix", "result": SERIES}}
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def prometheus() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePrometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakePrometheus.asked = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_each_query_is_a_file_of_the_last_hour_and_the_alerts_firing_now(prometheus):
    view = collect_metrics(prometheus, end=10_000)
    assert view.answering and [a["name"] for a in view.alerts] == ["NodeDown"]
    assert json.loads(view.files[ALERTS_FILE])[0]["node"] == "node-2"
    cpu = json.loads(view.files["metrics/cpu-percent.json"])
    assert cpu == {"query": QUERIES["cpu-percent"], "start": str(10_000 - RANGE_S), "end": "10000", "step_s": STEP_S,
                   "result": SERIES}
    assert {p["step"] for p in FakePrometheus.asked} == {str(STEP_S)}
    assert {f"metrics/{name}.json" for name in QUERIES if name != "up"} <= set(view.files)


def test_a_refused_query_is_noted_and_the_others_kept(prometheus):
    view = collect_metrics(prometheus)
    assert "metrics/up.json" not in view.files and "metrics/memory-percent.json" in view.files
    assert view.files["metrics/errors.txt"].startswith("up: up\n") and "query timed out" in view.files["metrics/errors.txt"]


def test_prometheus_not_answering_gives_no_files_and_says_why():
    view = collect_metrics("http://127.0.0.1:9")
    assert not view.answering and view.files == {} and view.why == "Prometheus does not answer at http://127.0.0.1:9"
