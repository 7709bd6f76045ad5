"""The paper-source registry: prefixes, parameters, help text and dispatch come from the specs."""

from __future__ import annotations

import httpx
import pytest

from sciplan.papers import PaperError, parse_query
from sciplan.papers.sources import SOURCES, Sources
from sciplan.papers.sources.query import QUERY_PREFIXES, QUERY_SYNTAX
from sciplan.papers.sources.registry import spec_for_prefix, spec_for_query


def test_every_prefix_has_one_source_a_syntax_line_and_a_settings_section():
    assert QUERY_PREFIXES == ("arxiv:", "pmc:", "pmc-query:", "openreview:")
    for spec in SOURCES:
        for prefix in spec.prefixes:
            assert spec_for_prefix(prefix) is spec
            assert f"{prefix}:" in QUERY_SYNTAX
        assert spec.config().interval_s > 0


@pytest.mark.parametrize("text", ["arxiv:cs.LG?max=3", "pmc:PMC1", "pmc-query:x", "openreview:ICLR.cc/2025/Conference"])
def test_a_parsed_query_goes_back_to_its_source(text):
    query = parse_query(text)
    assert spec_for_query(query) is spec_for_prefix(text.split(":")[0])


def test_sources_builds_each_registered_source_once_on_the_shared_client():
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    sources = Sources(client=client)
    for spec in SOURCES:
        built = sources.source(spec.name)
        assert built is sources.source(spec.name)
        assert built.fetcher.client is client and built.config == spec.config()
    client.close()


def test_parameters_another_prefix_takes_are_refused():
    with pytest.raises(PaperError, match="unknown parameter"):
        parse_query("pmc:PMC1?max=3")
