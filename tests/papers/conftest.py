"""Shared fixtures: the real PMC corpus, papers built from it, recorded HTTP responses, a fake clock."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from sciplan.papers import read_jats
from sciplan.records import Paper

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"


def _corpus_dir() -> Path:
    env = os.environ.get("SCIPLAN_PMC_CORPUS")
    if env:
        return Path(env)
    for base in (Path(__file__).resolve().parents[3], Path("/work")):
        candidate = base / "shared" / "corpus" / "pmc"
        if candidate.is_dir():
            return candidate
    return Path("/work/shared/corpus/pmc")


CORPUS = _corpus_dir()
PMC_FILES = {
    "plos": CORPUS / "pone.0046493.nxml",
    "bmc": CORPUS / "1471-2180-11-174.nxml",
    "ehp": CORPUS / "ehp-116-1694.nxml",
}


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not all(p.is_file() for p in PMC_FILES.values()):
        pytest.skip(f"the PMC corpus is not at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def real_papers(corpus: Path) -> dict[str, Paper]:
    """The three real PMC articles, read from their JATS."""
    return {key: read_jats(path.read_bytes(), str(path)) for key, path in PMC_FILES.items()}


@pytest.fixture(scope="session")
def two_column_pdf(real_papers: dict[str, Paper]) -> bytes:
    """The PLOS ONE article laid out by PyMuPDF as a two-column PDF."""
    from helpers.samples import paper_pdf

    return paper_pdf(real_papers["plos"])


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class FakeClock:
    """A clock that only moves when something sleeps on it."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@dataclass
class Recorder:
    """A MockTransport handler that answers from a routing function and records every request."""

    route: Callable[[httpx.Request], httpx.Response]
    clock: FakeClock | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.clock.now if self.clock else 0.0)
        return self.route(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def paths(self) -> list[str]:
        return [f"{r.url.host}{r.url.path}" for r in self.requests]


def respond(body: bytes | str, status: int = 200, content_type: str = "application/xml") -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    return httpx.Response(status, content=data, headers={"Content-Type": content_type})


@pytest.fixture
def make_recorder() -> Callable[..., Recorder]:
    """Build a `Recorder` (a MockTransport handler) from a routing function."""
    return Recorder


@pytest.fixture(name="respond")
def respond_fixture() -> Callable[..., httpx.Response]:
    return respond


@pytest.fixture(name="fixture_bytes")
def fixture_bytes_fixture() -> Callable[[str], bytes]:
    """Read a recorded response from tests/papers/fixtures."""
    return fixture_bytes


@pytest.fixture(scope="session")
def pmc_files(corpus: Path) -> dict[str, Path]:
    """The paths of the three real PMC articles: plos, bmc, ehp."""
    return dict(PMC_FILES)
