"""A bounded load test of the REST API on loopback: N concurrent clients, each asking M real questions.

    python -m eval.load_test --serve --clients 4 --questions 50          # starts `reviewqa serve` itself
    python -m eval.load_test --url http://127.0.0.1:8000 --clients 4 --questions 50

The questions are SubjQA's own (the gold labels of `--domain`/`--split` in the data dir), each sent
to POST /ask about its product. Every request is timed on the client; an error is any response
other than 200 or a failed connection. Writes `<results-dir>/<name>.json` and `.md` (p50, p95, p99,
mean and max latency, throughput, errors by status). Only loopback targets are accepted (127.0.0.0/8,
::1, localhost) and the run is bounded: `clients * questions` requests, and `--max-seconds` in all.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from eval.results import DEFAULT_RESULTS_DIR, command_line, run_script, script_parser, table, write_result
from qa.config import Settings
from qa.errors import DataError
from qa.stores.factory import open_labels

_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


@dataclass
class Sample:
    """One request: how long it took on the client, its status (0 = no response), server-side seconds."""

    client: int
    seconds: float
    status: int
    server_seconds: float | None = None
    error: str | None = None


@dataclass
class LoadReport:
    """The measured run."""

    samples: list[Sample] = field(default_factory=list)
    wall_seconds: float = 0.0
    stopped_early: bool = False


def check_loopback(url: str) -> str:
    """`url` without a trailing slash, or a DataError unless it names this machine's loopback."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise DataError(f"--url must be http://127.0.0.1:PORT (or another loopback address), not {url!r}.")
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise DataError(f"The load test only targets loopback (127.0.0.0/8, ::1, localhost), not {host!r}.")
    return url.rstrip("/")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank on the sorted values (nan when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def load_questions(settings: Settings, domain: str, split: str) -> list[tuple[str, str]]:
    """(question, product) of every gold question of the split, in file order."""
    questions = open_labels(settings).read(domain, split)
    if not questions:
        raise DataError(f"No gold questions in {domain}/{split}: run `reviewqa index --domain {domain}` first.")
    return [(q.question, q.item_id) for q in questions]


def run_load(
    url: str,
    questions: Sequence[tuple[str, str]],
    *,
    clients: int,
    per_client: int,
    split: str | None,
    max_seconds: float,
    timeout: float = 120.0,
) -> LoadReport:
    """`clients` threads, each with its own connection, each asking `per_client` questions in turn.

    Client i asks questions i*per_client, i*per_client+1, ... (wrapping around the list), so the
    clients ask different questions at the same time. Stops early when `max_seconds` have passed.
    """
    report = LoadReport()
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    start = threading.Barrier(clients)

    def client(index: int) -> None:
        with httpx.Client(base_url=url, timeout=timeout) as http:
            start.wait()
            for n in range(per_client):
                if time.monotonic() > deadline:
                    report.stopped_early = True
                    return
                question, item_id = questions[(index * per_client + n) % len(questions)]
                body: dict[str, Any] = {"question": question, "item_id": item_id}
                if split is not None:
                    body["split"] = split
                began = time.perf_counter()
                try:
                    response = http.post("/ask", json=body)
                    sample = Sample(index, time.perf_counter() - began, response.status_code)
                    if response.status_code == 200:
                        sample.server_seconds = float(response.json()["seconds"])
                    else:
                        sample.error = response.text[:300]
                except httpx.HTTPError as error:
                    sample = Sample(index, time.perf_counter() - began, 0, error=repr(error))
                with lock:
                    report.samples.append(sample)

    threads = [threading.Thread(target=client, args=(i,), name=f"load-client-{i}") for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.wall_seconds = time.perf_counter() - began
    return report


def summarize(report: LoadReport) -> dict[str, Any]:
    """Latency percentiles (ms), throughput and errors of a run."""
    latencies = [s.seconds * 1000 for s in report.samples]
    ok = [s for s in report.samples if s.status == 200]
    server = [s.server_seconds * 1000 for s in ok if s.server_seconds is not None]
    errors = [s for s in report.samples if s.status != 200]
    return {
        "requests": len(report.samples),
        "ok": len(ok),
        "errors": len(errors),
        "errors_by_status": {str(k): v for k, v in sorted(Counter(s.status for s in errors).items())},
        "first_errors": [s.error for s in errors[:3]],
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "mean": round(sum(latencies) / len(latencies), 1) if latencies else math.nan,
            "max": round(max(latencies), 1) if latencies else math.nan,
        },
        "server_answer_ms": {"p50": round(percentile(server, 50), 1), "p95": round(percentile(server, 95), 1)},
        "throughput_rps": round(len(report.samples) / report.wall_seconds, 2) if report.wall_seconds else 0.0,
        "wall_seconds": round(report.wall_seconds, 2),
        "stopped_early": report.stopped_early,
    }


def markdown(metrics: dict[str, Any], config: dict[str, Any]) -> str:
    """The result as a Markdown table."""
    latency, server = metrics["latency_ms"], metrics["server_answer_ms"]
    rows = [
        [
            f"{config['clients']} x {config['questions_per_client']}",
            str(metrics["requests"]),
            str(metrics["errors"]),
            f"{latency['p50']:.0f}",
            f"{latency['p95']:.0f}",
            f"{latency['p99']:.0f}",
            f"{latency['max']:.0f}",
            f"{server['p50']:.0f}",
            f"{metrics['throughput_rps']:.2f}",
            f"{metrics['wall_seconds']:.1f}",
        ]
    ]
    header = ["clients x questions", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms",
              "server p50 ms", "req/s", "wall s"]  # fmt: skip
    note = (
        f"\n\nPOST /ask, {config['retriever']} top-k {config['top_k']}, {config['domain']}/{config['split']} gold "
        f"questions, server workers {config.get('server_workers', '?')}; client-side latency includes waiting "
        "for a worker, server p50 is the answering alone."
    )
    return table(header, rows) + note


@contextmanager
def serve_locally(settings: Settings, *, timeout: float = 300.0) -> Iterator[str]:
    """Start `reviewqa serve --port 0` for `settings` (the subprocess's environment), yield its URL."""
    env = {**os.environ, "REVIEWQA_DATA_DIR": str(settings.data_dir), "REVIEWQA_READER": settings.reader.model,
           "REVIEWQA_DEVICE": settings.device}  # fmt: skip
    argv = [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", "0", "--log-level", "info"]
    argv += ["--workers", str(settings.api.workers), "--queue", str(settings.api.queue)]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    stdout = process.stdout
    port: list[int] = []
    lines: list[str] = []

    def read() -> None:
        for line in stdout:
            lines.append(line.rstrip())
            if not port and (match := _LISTENING.search(line)):
                port.append(int(match.group(1)))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while not port:
            if process.poll() is not None or time.monotonic() > deadline:
                raise DataError("reviewqa serve did not start:\n" + "\n".join(lines[-20:]))
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port[0]}"
        wait_until_ready(url, deadline)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_ready(url: str, deadline: float) -> dict[str, Any]:
    """Poll GET /health until 200; its body."""
    last = ""
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/health", timeout=5)
            if response.status_code == 200:
                return dict(response.json())
            last = response.text
        except httpx.TransportError as error:
            last = repr(error)
        time.sleep(0.3)
    raise DataError(f"The server at {url} did not become ready: {last}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the load test; returns the metrics (also written to the results directory)."""
    parser = script_parser("eval.load_test", __doc__)
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--url", default=None, help="A running server on loopback (default with --serve: its own).")
    target.add_argument("--serve", action="store_true", help="Start `reviewqa serve` on a free loopback port.")
    parser.add_argument("--clients", type=int, default=4, help="Concurrent clients (threads, one connection each).")
    parser.add_argument("--questions", type=int, default=50, help="Questions each client asks, one after another.")
    parser.add_argument("--domain", default="electronics")
    parser.add_argument("--split", default="test", help="Gold questions of this split; /ask filters to it too.")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="Stop the clients after this long.")
    parser.add_argument("--data-dir", type=Path, default=None, help="Data dir of the questions (and of --serve).")
    parser.add_argument("--reader", default=None, help="Reader of the --serve server (default: REVIEWQA_READER).")
    parser.add_argument("--workers", type=int, default=None, help="--serve: the server's worker count.")
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS_DIR)
    parser.add_argument("--name", default="load-test")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64 or not 1 <= args.questions <= 10_000:
        raise DataError("--clients must be 1..64 and --questions 1..10000.")
    settings = Settings.from_env(data_dir=args.data_dir, reader_model=args.reader, api_workers=args.workers)
    questions = load_questions(settings, args.domain, args.split)
    config: dict[str, Any] = {
        "clients": args.clients,
        "questions_per_client": args.questions,
        "domain": args.domain,
        "split": args.split,
        "retriever": settings.retrieval.retriever,
        "top_k": f"{settings.retrieval.top_k}/{settings.reader.top_k}",
        "reader": settings.reader.model,
        "cpus": os.cpu_count(),
    }

    def run(url: str) -> LoadReport:
        health = wait_until_ready(url, time.monotonic() + 300)
        config["server_workers"] = health["pool"]["workers"]
        config["url"] = url
        return run_load(url, questions, clients=args.clients, per_client=args.questions, split=args.split,
                        max_seconds=args.max_seconds)  # fmt: skip

    if args.url is not None:
        report = run(check_loopback(args.url))
    else:
        with serve_locally(settings) as url:
            report = run(url)
    metrics = summarize(report)
    command = command_line("python -m eval.load_test", argv)
    path = write_result(args.name, kind="load-test", command=command, config=config, metrics=metrics,
                        markdown=markdown(metrics, config), results_dir=args.results_dir)  # fmt: skip
    latency = metrics["latency_ms"]
    print(
        f"{metrics['requests']} requests, {metrics['errors']} errors; p50 {latency['p50']:.0f} ms, "
        f"p95 {latency['p95']:.0f} ms, {metrics['throughput_rps']:.2f} req/s -> {path}"
    )
    return metrics


if __name__ == "__main__":
    run_script(main)
