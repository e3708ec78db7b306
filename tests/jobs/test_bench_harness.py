"""The benchmark harness (bench/) keeps working: discovery, in-process runs, table and JSON.

Figures are not asserted (no timed assertions); query counts are, since they do not vary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def harness(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    import harness

    yield harness
    sys.modules.pop("harness", None)


def test_the_core_benchmarks_are_discovered(harness):
    operations = [b.operation for b in harness.discover()]
    assert {"GET /healthz", "GET /readyz", "GET / (home, owner)"} <= set(operations)


def test_an_in_process_run_reports_times_queries_and_budgets(harness, cast, tmp_path):
    context = harness.Context(engine="sqlite", owner=cast.owner, workspace=cast.workspace)
    runner = harness.InProcessRunner(context)
    core = [b for b in harness.discover() if b.operation in {"GET /healthz", "GET / (home, owner)"}]
    results = [harness.measure(b, runner, context, runs=3, warmup=1) for b in core]
    healthz, home = results
    assert (healthz.queries, healthz.met is not None, healthz.runs) == (0, True, 3)
    assert home.queries > 0
    assert home.records == 2, "the cast's workspace has two teams"
    assert healthz.median_ms <= healthz.p95_ms
    printed = harness.table(results)
    assert printed.splitlines()[0].split() == [
        "operation",
        "records",
        "engine",
        "median",
        "ms",
        "p95",
        "ms",
        "queries",
        "target",
        "met?",
    ]
    written = harness.write_json(results, tmp_path / "out.json", {"mode": "in-process"})
    stored = json.loads(written.read_text())["results"]
    assert [r["operation"] for r in stored] == ["GET /healthz", "GET / (home, owner)"]


def test_a_benchmark_that_gets_an_unexpected_status_stops_the_run(harness, db):
    context = harness.Context(engine="sqlite")
    runner = harness.InProcessRunner(context)
    missing = harness.Benchmark("GET /nowhere", "/no-such-page/")
    with pytest.raises(harness.BenchmarkError, match="status 404"):
        harness.measure(missing, runner, context, runs=1, warmup=0)


def test_p95_is_the_nearest_rank(harness):
    assert harness.percentile([float(n) for n in range(1, 21)], 0.95) == 19.0
    assert harness.percentile([5.0], 0.95) == 5.0
