"""The reward service's throughput against a latency-bound grader, and its prefix caching with a real one.

(1) `sciplan serve reward` (a separate process, as deployed) in front of a fake grader
    that answers every call after a fixed 200 ms (tests/helpers/fake_grader.py, its own
    process). `--clients` concurrent clients (64) each send one completion per request,
    as OpenRLHF does, for `--seconds`. Ideal: every client's request costs one grader
    call, so clients / delay grades per second; anything short of it is the service
    (HTTP in, grading logic, HTTP out to the grader) or this machine's CPU.
(2) With `--model-url URL` (an OpenAI-compatible llama.cpp server of the bundled model)
    or `--model local:smollm2`: groups of 8 plans of one goal through the service, and
    the prompt tokens the grader server served from its prefix cache (/metrics).

    .venv/bin/python bench/reward_server.py [--clients 64] [--seconds 20] [--model-url http://127.0.0.1:8080/v1]

Part (1) runs twice, side by side: with the service's default 20 ms batch window (in
this closed loop every request also waits the window, so the ceiling is delay/(delay+window))
and with none (`--batch-window 0`: the service's own overhead). The last line is the
latter, `reward_server_efficiency=ACHIEVED_OVER_IDEAL` (target >= 0.9).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers.net import free_port, wait_http  # noqa: E402
from sciplan.records import Goal  # noqa: E402

RUBRIC = ["Compares at least three conditions with replicates.", "Measures the outcome the goal names.",
          "Controls the obvious confounders.", "Justifies the sample size."]


def goals_file(n: int, folder: Path) -> Path:
    """n goals of 4 rubric items."""
    path = folder / "goals.jsonl"
    path.write_text("".join(Goal(id=f"b{i}", text=f"Find out whether factor {i} changes yield {i} in a greenhouse.",
                                 rubric=RUBRIC).model_dump_json() + "\n" for i in range(n)))
    return path


def start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT, env={**os.environ, "SCIPLAN_NO_CACHE": "1"})


async def client(port: int, body: bytes, stop_at: float, counts: list[int], errors: list[str]) -> None:
    """One keep-alive connection posting /grade until `stop_at` (raw HTTP: little CPU of its own)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /grade HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    try:
        while time.monotonic() < stop_at:
            writer.write(head + body)
            await writer.drain()
            status = await reader.readuntil(b"\r\n\r\n")
            length = next(int(x.split(b":")[1]) for x in status.split(b"\r\n") if x.lower().startswith(b"content-length"))
            answer = await reader.readexactly(length)
            if b" 200 " in status.split(b"\r\n")[0]:
                counts[0] += 1
            else:
                errors.append(answer.decode()[:200])
    finally:
        writer.close()


async def load(port: int, clients: int, seconds: float) -> tuple[int, list[str], float]:
    counts, errors = [0], []
    bodies = [json.dumps({"goal_id": f"b{i}", "completions": [f"A good plan number {i}: three arms, yield, controls."]}).encode()
              for i in range(clients)]
    start_t = time.monotonic()
    await asyncio.gather(*(client(port, b, start_t + seconds, counts, errors) for b in bodies))
    return counts[0], errors, time.monotonic() - start_t


def metrics(port: int) -> dict:
    import httpx

    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).json()


def latency_bound(args: argparse.Namespace, tmp: Path, window: float) -> float:
    fake_port, port = free_port(), free_port()
    fake = start([sys.executable, str(ROOT / "tests" / "helpers" / "fake_grader.py"), "--port", str(fake_port),
                  "--delay", str(args.delay)], tmp / "fake.log")
    service = start([sys.executable, "-m", "sciplan.cli.main", "serve", "reward", "--grader", f"openai:fake@http://127.0.0.1:{fake_port}/v1",
                     "--goals", str(goals_file(args.clients, tmp)), "--port", str(port), "--no-cache",
                     "--grader-concurrency", str(4 * args.clients), "--max-concurrency", str(4 * args.clients),
                     "--batch-window", str(window)], tmp / "service.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/health", timeout=120, proc=service)
        asyncio.run(load(port, args.clients, 2.0))  # warm up connections
        done, errors, took = asyncio.run(load(port, args.clients, args.seconds))
        m = metrics(port)
    finally:
        for p in (service, fake):
            p.terminate()
            p.wait(timeout=10)
    ideal = args.clients / args.delay
    achieved = done / took
    lat = m["latency_seconds"]
    print(f"batch window {window * 1000:.0f} ms: latency-bound grader ({args.delay * 1000:.0f} ms a call), "
          f"{args.clients} clients, {took:.1f} s: "
          f"{done} grades, {achieved:.1f} grades/s (ideal {ideal:.0f}), errors {len(errors)}; "
          f"service p50 {lat['p50']:.3f} s, p99 {lat['p99']:.3f} s, grader calls {m['grader']['calls']}")
    if errors:
        print("first error:", errors[0])
    return achieved / ideal


def bundled(args: argparse.Namespace, tmp: Path) -> None:
    import httpx

    spec = f"openai:smollm2@{args.model_url}" if args.model_url else args.model
    port = free_port()
    service = start([sys.executable, "-m", "sciplan.cli.main", "serve", "reward", "--grader", spec, "--goals",
                     str(goals_file(args.goals, tmp)), "--port", str(port), "--no-cache", "--config", args.grading_config],
                    tmp / "service-model.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/health", timeout=300, proc=service)
        t = time.monotonic()
        for g in range(args.goals):
            plans = [f"Plan {j}: grow plants under {j + 3} conditions with 4 replicates; weigh yield; fix light."
                     for j in range(args.group)]
            r = httpx.post(f"http://127.0.0.1:{port}/grade", json={"goal_id": f"b{g}", "completions": plans}, timeout=1800)
            r.raise_for_status()
        took = time.monotonic() - t
        m = metrics(port)["grader"]
    finally:
        service.terminate()
        service.wait(timeout=10)
    cached, prompt = m["cached_prompt_tokens"], m["prompt_tokens"]
    print(f"bundled grader ({spec}), {args.goals} goals x groups of {args.group}: {m['calls']} calls in {took:.1f} s, "
          f"prompt tokens {prompt}, served from prefix cache {cached} ({cached / max(1, prompt):.0%})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--window", type=float, default=0.02, help="the service's --batch-window (its default: 20 ms)")
    ap.add_argument("--model-url", default=None, help="OpenAI-compatible server of the bundled model for part (2)")
    ap.add_argument("--model", default=None, help="or a sciplan model string, e.g. local:smollm2")
    ap.add_argument("--goals", type=int, default=2)
    ap.add_argument("--grading-config", default=str(ROOT / "configs" / "grade" / "demo.yaml"),
                    help="grading config of part (2); the demo protocol is what the bundled 135M model answers")
    ap.add_argument("--group", type=int, default=8)
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average, {os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as d:
        if args.model_url or args.model:
            bundled(args, Path(d))
        else:
            print("bundled-model part skipped: give --model-url (a llama.cpp server of the bundled GGUF) or --model")
        # Side by side: with the batch window every request of this closed loop also waits the
        # window (a cost of coalescing, not of the service); without it, the service's own overhead.
        windowed = latency_bound(args, Path(d), args.window)
        own = latency_bound(args, Path(d), 0.0)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    print(f"efficiency with the {args.window * 1000:.0f} ms batch window: {windowed:.3f} "
          f"(ceiling {args.delay / (args.delay + args.window):.3f}: each request waits the window once)")
    print(f"reward_server_efficiency={own:.3f}")


if __name__ == "__main__":
    main()
