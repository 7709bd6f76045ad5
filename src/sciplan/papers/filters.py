"""Which papers to keep: a date window, domains, and a license allow-list."""

from __future__ import annotations

from datetime import date as Date

from pydantic import Field, field_validator, model_validator

from sciplan.config import Strict
from sciplan.papers.domains import normalize_domain
from sciplan.papers.licenses import DEFAULT_LICENSES, license_family, normalize_license
from sciplan.records import Paper

__all__ = ["PaperFilter"]


class PaperFilter(Strict):
    """Keep papers dated inside [from_date, to_date], in `domains`, under `licenses`.

    An unknown date or domain never excludes a paper. An unknown license excludes a
    paper from a remote source unless `allow_unknown_license`; local files are the
    user's own choice and are kept when their license is unknown.
    """

    from_date: Date | None = None
    to_date: Date | None = None
    # Empty: any domain.
    domains: list[str] = Field(default_factory=list)
    # License families (versions ignored); see `sciplan.papers.licenses`.
    licenses: list[str] = Field(default_factory=lambda: list(DEFAULT_LICENSES))
    allow_unknown_license: bool = False

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        return [normalize_domain(d) for d in value]

    @field_validator("licenses")
    @classmethod
    def _licenses(cls, value: list[str]) -> list[str]:
        out = []
        for item in value:
            name = license_family(normalize_license(item))
            if name is None:
                raise ValueError(f"unknown license {item!r} (try CC-BY, CC-BY-SA, CC0, public-domain)")
            out.append(name)
        return out

    @model_validator(mode="after")
    def _window(self) -> PaperFilter:
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise ValueError(f"from_date {self.from_date} is after to_date {self.to_date}")
        return self

    def reject(
        self,
        *,
        date: Date | None = None,
        domain: str | None = None,
        license: str | None = None,
        license_known: bool = True,
        local: bool = False,
    ) -> str | None:
        """Why these facts are filtered out, or None to keep; `license_known=False` skips the license check."""
        if date is not None:
            if self.from_date and date < self.from_date:
                return f"dated {date}, before {self.from_date}"
            if self.to_date and date > self.to_date:
                return f"dated {date}, after {self.to_date}"
        if domain is not None and self.domains and domain not in self.domains:
            return f"domain {domain} not in {', '.join(self.domains)}"
        if license_known:
            family = license_family(license)
            if family is None:
                if not (local or self.allow_unknown_license):
                    return "license unknown (allow with allow_unknown_license)"
            elif family not in self.licenses:
                return f"license {license} not in {', '.join(self.licenses)}"
        return None

    def reject_paper(self, paper: Paper, *, local: bool = False) -> str | None:
        """Why `paper` is filtered out, or None to keep it."""
        return self.reject(date=paper.date, domain=paper.domain, license=paper.license, local=local)
