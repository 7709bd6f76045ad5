"""One short generation of a local model in a child process: the install's self-test.

`make` runs `python -m sciplan.llm.selftest` after installing and writes its stamp only
if this passes, so a backend that cannot run on this CPU (SIGILL), crashes (SIGSEGV) or
hangs is found at install time, with the cause and the fix, not as a dead test run.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sciplan.errors import SciplanError
from sciplan.llm.bundled import bundled_gguf
from sciplan.llm.server import LocalServer, ServerOptions

__all__ = ["SelfTestResult", "run_selftest", "main"]


@dataclass
class SelfTestResult:
    """What the self-test saw: success, the time a token took (load included), or the failure."""

    ok: bool
    seconds: float
    message: str


def run_selftest(options: ServerOptions | None = None, *, timeout: float = 180.0) -> SelfTestResult:
    """Start a server for `options` (default: the bundled model), ask for one token, stop it."""
    start = time.perf_counter()
    try:
        options = options or ServerOptions(model=bundled_gguf(), n_ctx=512, threads=None)
    except SciplanError as exc:
        return SelfTestResult(False, 0.0, str(exc))
    server = LocalServer(options)
    try:
        url = server.ensure_started(timeout=timeout)
        body = json.dumps({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1, "temperature": 0})
        req = urllib.request.Request(f"{url}/chat/completions", data=body.encode(), headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                data = json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if not server.alive():
                raise server.crash_error("while generating") from None
            return SelfTestResult(False, time.perf_counter() - start, f"the local model server gave no answer: {exc}")
        tokens = (data.get("usage") or {}).get("completion_tokens", 0)
        if not tokens:
            return SelfTestResult(False, time.perf_counter() - start, f"the local model generated nothing: {str(data)[:200]}")
        elapsed = time.perf_counter() - start
        return SelfTestResult(
            True, elapsed, f"{options.model.name} generated {tokens} token in {elapsed:.2f}s (subprocess, load included)"
        )
    except SciplanError as exc:
        return SelfTestResult(False, time.perf_counter() - start, str(exc))
    finally:
        server.stop()


def main() -> None:
    """Exit 0 if the bundled model answers, else print the cause and the fix and exit 1."""
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    result = run_selftest(ServerOptions(model=model, n_ctx=512) if model else None)
    if result.ok:
        print(f"sciplan self-test passed: {result.message}")
        return
    print(f"sciplan self-test FAILED: {result.message}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
