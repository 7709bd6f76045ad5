"""llama.cpp's own OpenAI-compatible server on a GGUF file, in a child process.

`local:` models run here rather than in sciplan's process, so that a native fault
(an instruction the CPU lacks, a segfault in a kernel) ends only the child and the
caller gets an error that names the cause. The server is llama.cpp's C++ HTTP server
from the `xllamacpp` wheel: prebuilt for x86-64 with AVX2/FMA/F16C (no AVX-512 or AMX
kernels), so it runs on every machine the project supports and installs in seconds.
Each slot keeps its KV cache, so a group of plans that share a grader prompt are
evaluated once per prefix, and the host-memory prompt cache is capped so that memory
stays flat over a long grading run.

    python -m sciplan.llm.server --model local.gguf --port 8080     # serve one
    sciplan generate openai:local@http://127.0.0.1:8080/v1 "Hello"
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sciplan.llm.errors import BackendUnavailableError, LocalServerCrashedError

__all__ = ["ServerOptions", "LocalServer", "local_server", "stop_local_servers", "describe_exit", "main"]

log = logging.getLogger(__name__)

# llama.cpp's host prompt cache defaults to 8 GiB; a grading run would fill it.
DEFAULT_CACHE_RAM_MIB = 256
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class ServerOptions:
    """What a local server serves and how."""

    model: Path
    n_ctx: int = 8192
    threads: int | None = None
    parallel: int = 1
    cache_ram_mib: int = DEFAULT_CACHE_RAM_MIB
    host: str = "127.0.0.1"
    port: int = 0
    # The child's command (tests put a stand-in that crashes); None: this module.
    command: tuple[str, ...] | None = field(default=None, compare=False)

    def argv(self, port: int) -> list[str]:
        """The child's command line."""
        base = list(self.command) if self.command else [sys.executable, "-m", "sciplan.llm.server"]
        args = [
            "--model", str(self.model), "--host", self.host, "--port", str(port),
            "--n-ctx", str(self.n_ctx), "--parallel", str(self.parallel), "--cache-ram-mib", str(self.cache_ram_mib),
            "--watch-parent",
        ]
        if self.threads:
            args += ["--threads", str(self.threads)]
        return base + args


def describe_exit(returncode: int | None) -> str:
    """How a child ended, and what to do about it, in words."""
    if returncode is None:
        return "is still running"
    if returncode >= 0:
        return f"exited with status {returncode}"
    sig = -returncode
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = f"signal {sig}"
    if sig == signal.SIGILL:
        return (f"died with {name} (illegal instruction): the llama.cpp build uses a CPU instruction this machine "
                "does not have. Fix: reinstall the prebuilt portable wheel (`pip install --force-reinstall "
                "--no-cache-dir xllamacpp`), check `sciplan doctor`, or serve the model elsewhere (openai:...@URL)")
    if sig == signal.SIGSEGV:
        return (f"crashed with {name} (segmentation fault) inside llama.cpp. Fix: run `sciplan doctor` and report "
                "its output with the server log; meanwhile serve the model elsewhere (openai:...@URL)")
    if sig == signal.SIGKILL:
        return f"was killed ({name}), most often by the kernel for lack of memory: lower n_ctx or free memory"
    return f"died with {name}"


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LocalServer:
    """One child server process: started on demand, restarted after a crash, stopped at exit."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path: Path | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://{self.options.host}:{self.port}/v1"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def died(self, grace: float = 2.0) -> bool:
        """Whether the child has ended, waiting up to `grace` s (a dropped socket comes before the exit)."""
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            return False
        return True

    def ensure_started(self, timeout: float = START_TIMEOUT) -> str:
        """Start the child if it is not running; its /v1 URL once it answers /health."""
        with self._lock:
            if self.alive():
                return self.base_url
            if self.proc is not None:
                # It died between calls: say so, then start afresh (a persistent fault fails the start).
                log.warning("%s", self.crash_error("between requests; restarting it"))
            self._start(timeout)
            return self.base_url

    def _start(self, timeout: float) -> None:
        if not self.options.model.is_file():
            raise BackendUnavailableError(f"GGUF model file {self.options.model} not found")
        self.port = self.options.port or _free_port(self.options.host)
        fd, log = tempfile.mkstemp(prefix="sciplan-llama-", suffix=".log")
        self.log_path = Path(log)
        env = dict(os.environ)
        # Spinning OpenMP workers starve everything else on a shared machine.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        with os.fdopen(fd, "wb") as out:
            self.proc = subprocess.Popen(
                self.options.argv(self.port), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise self.crash_error("while starting")
            try:
                with urllib.request.urlopen(f"http://{self.options.host}:{self.port}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise LocalServerCrashedError(
            f"the local model server for {self.options.model.name} did not answer within {timeout:g}s "
            f"(a hang while loading); its log: {self.log_path}"
        )

    def crash_error(self, when: str) -> LocalServerCrashedError:
        """The error for a child that ended: the signal in words, the fix, and the log's tail."""
        code = self.proc.poll() if self.proc else None
        tail = ""
        if self.log_path and self.log_path.exists():
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
            tail = " | ".join(lines[-3:])[-400:]
        return LocalServerCrashedError(
            f"the local model server for {self.options.model.name} {describe_exit(code)} ({when}; log: "
            f"{self.log_path}{'; last lines: ' + tail if tail else ''})",
            returncode=code,
        )

    def stop(self) -> None:
        """End the child (politely, then for good)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


_SERVERS: dict[ServerOptions, LocalServer] = {}
_SERVERS_LOCK = threading.Lock()


def local_server(options: ServerOptions) -> LocalServer:
    """The shared server of this process for these options (one child per distinct setting)."""
    with _SERVERS_LOCK:
        server = _SERVERS.get(options)
        if server is None:
            server = _SERVERS[options] = LocalServer(options)
        return server


@atexit.register
def stop_local_servers() -> None:
    """Stop every child this process started."""
    with _SERVERS_LOCK:
        servers = list(_SERVERS.values())
    for server in servers:
        server.stop()


# -- the child ------------------------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """Run llama.cpp's HTTP server until SIGTERM/SIGINT."""
    try:
        import xllamacpp as xlc
    except ImportError as exc:
        raise SystemExit(f"xllamacpp is not installed ({exc}): run `make install` or `pip install xllamacpp`") from exc
    params = xlc.CommonParams()
    params.model.path = str(args.model)
    params.n_ctx = args.n_ctx
    params.n_parallel = args.parallel
    params.cache_ram_mib = args.cache_ram_mib
    params.endpoint_metrics = True
    params.hostnames = [args.host]
    params.port = args.port
    threads = args.threads or min(2, os.cpu_count() or 1)
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = xlc.Server(params)
    print(json.dumps({"listening": server.listening_address, "threads": threads}), flush=True)
    # Started by sciplan: end with the process that started it, so no server outlives its user.
    # (PR_SET_PDEATHSIG would follow the starting *thread*, and a thread pool's worker ends early.)
    parent = os.getppid()
    while not stop.wait(0.5):
        if args.watch_parent and os.getppid() != parent:
            break
    del server


def main(argv: list[str] | None = None) -> None:
    """`python -m sciplan.llm.server`: serve a GGUF file over the OpenAI-compatible API."""
    p = argparse.ArgumentParser(prog="python -m sciplan.llm.server", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, required=True, help="GGUF file, or `smollm2` for the bundled model")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--n-ctx", type=int, default=8192)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--parallel", type=int, default=1, help="slots (each gets n_ctx / parallel tokens)")
    p.add_argument("--cache-ram-mib", type=int, default=DEFAULT_CACHE_RAM_MIB, help="host prompt cache cap")
    p.add_argument("--watch-parent", action="store_true", help="stop when the process that started this one ends")
    args = p.parse_args(argv)
    if not args.model.is_file():
        from sciplan.llm.bundled import resolve_gguf

        args.model = resolve_gguf(str(args.model))
    serve(args)


if __name__ == "__main__":
    main()
