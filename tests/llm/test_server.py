"""The local model server child: real llama.cpp for the happy path, stand-in children for crashes."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from sciplan.llm import Ledger, LocalServerCrashedError, Model, ModelSettings
from sciplan.llm.selftest import run_selftest
from sciplan.llm.server import LocalServer, ServerOptions, describe_exit


def crashing_child(sig: signal.Signals) -> tuple[str, ...]:
    """A child that dies with `sig` at once, as a native fault would."""
    return (sys.executable, "-c", f"import os, signal; os.kill(os.getpid(), signal.{sig.name})")


def hanging_child() -> tuple[str, ...]:
    return (sys.executable, "-c", "import time; time.sleep(60)")


@pytest.fixture
def fake_model(tmp_path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_selftest_turns_sigill_into_the_cause_and_the_fix(fake_model):
    result = run_selftest(ServerOptions(model=fake_model, command=crashing_child(signal.SIGILL)), timeout=30)
    assert not result.ok
    assert "SIGILL" in result.message and "illegal instruction" in result.message
    assert "pip install --force-reinstall" in result.message and "model.gguf" in result.message


def test_selftest_names_a_segfault(fake_model):
    result = run_selftest(ServerOptions(model=fake_model, command=crashing_child(signal.SIGSEGV)), timeout=30)
    assert not result.ok and "SIGSEGV" in result.message and "sciplan doctor" in result.message


def test_selftest_turns_a_hang_into_a_clear_failure(fake_model):
    result = run_selftest(ServerOptions(model=fake_model, command=hanging_child()), timeout=2)
    assert not result.ok and "did not answer within 2s" in result.message


def test_selftest_reports_a_missing_model(tmp_path):
    result = run_selftest(ServerOptions(model=tmp_path / "absent.gguf"))
    assert not result.ok and "absent.gguf" in result.message and "not found" in result.message


def test_describe_exit_says_what_happened():
    assert describe_exit(3) == "exited with status 3"
    assert "lack of memory" in describe_exit(-signal.SIGKILL)


async def test_a_crashing_server_fails_the_call_not_the_process(fake_model, monkeypatch):
    """A native crash ends only the child: the call raises an error naming the signal."""
    import sciplan.llm.backends.local as local

    options = ServerOptions(model=fake_model, command=crashing_child(signal.SIGSEGV))
    monkeypatch.setattr(local, "local_server", lambda _opts: LocalServer(options))
    model = Model(f"local:{fake_model}", ModelSettings(cache=False, max_retries=0), ledger_=Ledger())
    with pytest.raises(LocalServerCrashedError, match="SIGSEGV"):
        await model.generate([{"role": "user", "content": "Hi"}], max_tokens=4)
    assert model.ledger.total().failures == 1


@pytest.mark.model
def test_selftest_passes_on_the_bundled_model():
    result = run_selftest()
    assert result.ok, result.message
    assert "generated 1 token" in result.message


@pytest.mark.model
async def test_a_server_killed_mid_request_is_reported_and_the_next_call_restarts_it(bundled_gguf_path, caplog):
    model = Model("local:smollm2", ModelSettings(cache=False, max_retries=0, n_ctx=1024), ledger_=Ledger())
    msg = [{"role": "user", "content": "Write a long story about a research lab."}]
    assert (await model.generate(msg, max_tokens=2)).usage.completion_tokens > 0
    server = model.backend.server()
    first_pid = server.proc.pid
    call = asyncio.create_task(model.generate(msg, max_tokens=400, seed=1, temperature=1.0))
    await asyncio.sleep(0.5)
    server.proc.send_signal(signal.SIGKILL)
    with pytest.raises(LocalServerCrashedError, match="SIGKILL"):
        await call
    again = await model.generate(msg, max_tokens=2)
    assert again.usage.completion_tokens > 0 and server.proc.pid != first_pid
    assert "restarting it" in caplog.text
    await model.aclose()


@pytest.mark.model
async def test_group_prefix_is_served_from_the_slot_cache():
    model = Model("local:smollm2", ModelSettings(cache=False, n_ctx=2048), ledger_=Ledger())
    system = {"role": "system", "content": "You grade research plans against a rubric. " * 20}
    first = await model.generate([system, {"role": "user", "content": "Plan A: measure growth."}], max_tokens=2)
    second = await model.generate([system, {"role": "user", "content": "Plan B: count leaves."}], max_tokens=2)
    assert second.usage.cached_prompt_tokens and second.usage.cached_prompt_tokens > first.usage.prompt_tokens // 2
    await model.aclose()


@pytest.mark.model
def test_a_server_outlives_the_thread_that_started_it_but_not_its_process(bundled_gguf_path):
    import subprocess
    import threading
    import time

    server = LocalServer(ServerOptions(model=bundled_gguf_path, n_ctx=512))
    starter = threading.Thread(target=server.ensure_started)
    starter.start()
    starter.join()
    time.sleep(1.5)
    assert server.alive()  # a thread pool's worker ending must not end the server
    server.stop()
    code = ("import os, sys; from sciplan.llm.server import LocalServer, ServerOptions; "
            f"s = LocalServer(ServerOptions(model=__import__('pathlib').Path({str(bundled_gguf_path)!r}), n_ctx=512)); "
            "s.ensure_started(); print(s.proc.pid, flush=True); os._exit(0)")
    child = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).stdout)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{child}").exists():
        time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]
