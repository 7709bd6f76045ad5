"""The `sciplan` command as a user runs it: real subprocesses, real bundled model."""

import os
import subprocess
import sys

import pytest

from helpers.net import free_port

SCIPLAN = [sys.executable, "-m", "sciplan.cli.main"]


def run(*args, env=None, timeout=300):
    full_env = {**os.environ, "COLUMNS": "120", **(env or {})}
    return subprocess.run([*SCIPLAN, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def test_help_lists_the_commands():
    out = run("--help")
    assert out.returncode == 0
    for cmd in ("models", "generate", "plan", "grade", "demo"):
        assert cmd in out.stdout


def test_models_lists_every_backend():
    out = run("models")
    assert out.returncode == 0
    for provider in ("local", "openai", "anthropic", "gemini", "hf"):
        assert provider in out.stdout


@pytest.mark.parametrize(
    "args,env,expected",
    [
        (("generate", "mistral:large", "hi"), {}, "known providers are local, openai, anthropic, gemini, hf"),
        (("generate", "anthropic:claude-sonnet-4-5", "hi"), {"ANTHROPIC_API_KEY": ""}, "ANTHROPIC_API_KEY"),
        (("generate", "local:/nonexistent/model.gguf", "hi"), {}, "/nonexistent/model.gguf"),
        (("generate", "local:smollm2", "--messages", "/nonexistent.json"), {}, "/nonexistent.json"),
    ],
)
def test_bad_input_gives_one_clear_line_and_no_traceback(args, env, expected):
    out = run(*args, env=env)
    assert out.returncode == 1
    assert expected in out.stderr.replace("\n", " ")
    assert "Traceback" not in out.stderr + out.stdout


def test_unreachable_server_names_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    out = run("generate", f"openai:x@{url}", "hi", "--retries", "1", "--no-cache")
    assert out.returncode == 1 and url in out.stderr.replace("\n", "")
    assert "Traceback" not in out.stderr


def test_models_check_reports_failures_without_traceback():
    url = f"http://127.0.0.1:{free_port()}/v1"
    out = run("models", "local:smollm2", f"openai:x@{url}")
    assert out.returncode == 1
    assert "ok local:smollm2" in out.stdout and "failed" in out.stdout and "Traceback" not in out.stdout


def test_generate_prints_completion_and_usage(tmp_path):
    msgs = tmp_path / "m.json"
    msgs.write_text('[{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is 2+2?"}]')
    out = run("generate", "local:smollm2", "--messages", str(msgs), "--max-tokens", "16")
    assert out.returncode == 0, out.stderr
    assert "prompt +" in out.stdout and "completion tokens" in out.stdout
    assert "Model usage" in out.stdout and "local:smollm2" in out.stdout


def test_demo_prints_a_plan():
    out = run("demo", "--max-tokens", "64")
    assert out.returncode == 0, out.stderr
    assert "plan by local:smollm2" in out.stdout and "tok out" in out.stdout
