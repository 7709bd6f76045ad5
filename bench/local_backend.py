"""The local backend's speed on the bundled model: load time, prompt and generation tokens/s.

Nothing to install or compile: it measures the backend `make` installed (llama.cpp's
own server from the xllamacpp wheel, in a child process, as `local:` runs it) at 1 and
2 threads, from the server's own timings. Where llama-cpp-python is also importable
(built by hand, e.g. `CMAKE_ARGS=-DGGML_NATIVE=OFF pip install llama-cpp-python`), it is
measured side by side in the same run, in-process, for comparison.

    .venv/bin/python bench/local_backend.py [--repeats 3] [--tokens 64]

The last line is `local_tokens_per_s=N`: generated tokens per second at 2 threads.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time

import httpx

from sciplan.llm.bundled import bundled_gguf
from sciplan.llm.server import LocalServer, ServerOptions

PROMPT = ("Propose a research plan to test whether mulching raises tomato yield in dry summers. "
          "State the design, the controls, the measurements and the analysis. ") * 6


def measure_server(threads: int, repeats: int, tokens: int) -> tuple[float, float, float]:
    """(load s, prompt tokens/s, generated tokens/s), medians over `repeats`."""
    server = LocalServer(ServerOptions(model=bundled_gguf(), n_ctx=2048, threads=threads))
    started = time.perf_counter()
    url = server.ensure_started()
    load = time.perf_counter() - started
    prompt_rates, gen_rates = [], []
    try:
        for i in range(repeats):
            body = {"messages": [{"role": "user", "content": f"[{i}] {PROMPT}"}], "max_tokens": tokens,
                    "temperature": 0, "cache_prompt": False, "ignore_eos": True}
            timings = httpx.post(f"{url}/chat/completions", json=body, timeout=600).json()["timings"]
            prompt_rates.append(timings["prompt_per_second"])
            gen_rates.append(timings["predicted_per_second"])
    finally:
        server.stop()
    return load, statistics.median(prompt_rates), statistics.median(gen_rates)


def measure_llama_cpp_python(threads: int, repeats: int, tokens: int) -> tuple[float, float, float]:
    """The same figures for llama-cpp-python in-process (only when it is installed)."""
    from llama_cpp import Llama

    started = time.perf_counter()
    llama = Llama(model_path=str(bundled_gguf()), n_ctx=2048, n_threads=threads, verbose=False)
    load = time.perf_counter() - started
    prompt_rates, gen_rates = [], []
    for i in range(repeats):
        text = f"[{i}] {PROMPT}"
        n_prompt = len(llama.tokenize(text.encode()))
        llama.reset()
        t0 = time.perf_counter()
        llama.create_completion(text, max_tokens=1, temperature=0)
        t_prompt = time.perf_counter() - t0
        llama.reset()
        t0 = time.perf_counter()
        out = llama.create_completion(text, max_tokens=tokens, temperature=0)
        t_all = time.perf_counter() - t0
        n_gen = out["usage"]["completion_tokens"]
        prompt_rates.append(n_prompt / t_prompt)
        gen_rates.append(max(n_gen - 1, 1) / max(t_all - t_prompt, 1e-6))
    return load, statistics.median(prompt_rates), statistics.median(gen_rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    rows = []
    for threads in (1, 2):
        rows.append(("xllamacpp server (local:)", threads, *measure_server(threads, args.repeats, args.tokens)))
        if importlib.util.find_spec("llama_cpp") is not None:
            rows.append(("llama-cpp-python in-process", threads,
                         *measure_llama_cpp_python(threads, args.repeats, args.tokens)))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; bundled SmolLM2-135M Q4_1; "
          f"median of {args.repeats}, {args.tokens} generated tokens")
    print(f"{'backend':<30}{'threads':>8}{'load s':>9}{'prompt tok/s':>14}{'gen tok/s':>11}")
    for name, threads, load, prompt, gen in rows:
        print(f"{name:<30}{threads:>8}{load:>9.2f}{prompt:>14.1f}{gen:>11.1f}")
    if importlib.util.find_spec("llama_cpp") is None:
        print("llama-cpp-python is not installed: only the chosen backend was measured")
    two = next(r for r in rows if r[0].startswith("xllamacpp") and r[1] == 2)
    print(f"local_tokens_per_s={two[4]:.1f}")


if __name__ == "__main__":
    main()
