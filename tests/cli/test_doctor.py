"""`sciplan doctor`: a report of the installation, exit 1 with the fix when something is broken."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sciplan.cli.doctor import cpu_features, run_checks
from sciplan.cli.main import app


def test_doctor_fails_with_the_fix_when_the_model_file_is_missing(tmp_path):
    result = CliRunner().invoke(app, ["doctor", "--model", str(tmp_path / "gone.gguf")])
    out = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 1
    assert "gone.gguf not found fix: give an existing .gguf file" in out


def test_cpu_features_are_read_from_this_machine():
    # Every x86-64 CPU the project supports has SSE3; the flags come from /proc/cpuinfo.
    assert "SSE3" in cpu_features()


@pytest.mark.model
def test_doctor_passes_on_this_installation():
    checks = {c.name: c for c in run_checks()}
    assert checks["local backend"].status == "ok" and "AVX2" in checks["local backend"].detail
    assert checks["model file"].status == "ok" and "sha256" in checks["model file"].detail
    assert checks["generation"].status == "ok", checks["generation"].detail
    result = CliRunner().invoke(app, ["doctor", "--no-generate"])
    assert result.exit_code == 0 and "everything sciplan needs is in place" in " ".join(result.output.split())
