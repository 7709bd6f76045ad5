"""Client-layer efficiency: achieved over ideal throughput against a 200 ms server.

A local server (bench/latency_server.py, its own process) answers every chat request
after exactly 200 ms. At concurrency C the ideal throughput is C / 0.2 s requests per
second; the client (sciplan.llm.Model: limiter, retries, accounting, httpx pool) is
measured side by side at C = 1, 8 and 64 in one run. Target at 64: >= 0.9.

    .venv/bin/python bench/llm_client.py [--latency 0.2] [--rounds 10]

The last line is `client_efficiency_c64=RATIO`.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.net import free_port, wait_http  # noqa: E402
from sciplan.llm import Ledger, Model, ModelSettings  # noqa: E402


async def measure(url: str, concurrency: int, rounds: int, latency: float) -> tuple[float, float]:
    """(achieved requests/s, ideal requests/s) for `rounds` x `concurrency` requests."""
    model = Model(
        f"openai:bench@{url}",
        ModelSettings(cache=False, max_concurrency=concurrency, timeout=30),
        ledger_=Ledger(),
    )
    n = concurrency * rounds
    # Warm the connection pool so connection set-up is not billed to the first round.
    await asyncio.gather(*(model.generate([{"role": "user", "content": "warm"}], max_tokens=1) for _ in range(concurrency)))
    start = time.perf_counter()
    await asyncio.gather(
        *(model.generate([{"role": "user", "content": f"request {i}"}], max_tokens=1) for i in range(n))
    )
    elapsed = time.perf_counter() - start
    await model.aclose()
    return n / elapsed, concurrency / latency


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("latency_server.py")), "--port", str(port), "--latency", str(args.latency)]
    )
    try:
        url = f"http://127.0.0.1:{port}/v1"
        wait_http(f"{url}/models", timeout=30, proc=server)
        results = {}
        print(f"{'concurrency':>11} {'requests':>8} {'achieved/s':>10} {'ideal/s':>8} {'efficiency':>10}")
        for c in (1, 8, 64):
            achieved, ideal = asyncio.run(measure(url, c, args.rounds, args.latency))
            results[c] = achieved / ideal
            print(f"{c:>11} {c * args.rounds:>8} {achieved:>10.1f} {ideal:>8.1f} {results[c]:>10.3f}")
        print(f"client_efficiency_c64={results[64]:.3f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
