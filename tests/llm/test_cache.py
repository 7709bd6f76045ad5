from sciplan.llm import Completion, Request, ResponseCache, Usage


def _req(**kw):
    return Request(messages=[{"role": "user", "content": "hi"}], **kw)


def test_cache_roundtrip_marks_hits(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    key = _req().cache_key("local:x")
    assert cache.get(key) is None
    cache.put(key, Completion(text="hello", usage=Usage(prompt_tokens=2, completion_tokens=1), model="local:x"))
    hit = cache.get(key)
    assert hit.text == "hello" and hit.cached and hit.usage.completion_tokens == 1
    assert len(cache) == 1
    # Survives reopening (another process, a rerun).
    cache.close()
    assert ResponseCache(tmp_path / "c.sqlite").get(key).text == "hello"


def test_key_depends_on_everything_that_changes_the_answer():
    base = _req()
    keys = {
        base.cache_key("m"),
        base.cache_key("m2"),
        _req(max_tokens=5).cache_key("m"),
        _req(temperature=0.5, seed=1).cache_key("m"),
        _req(temperature=0.5, seed=2).cache_key("m"),
        _req(json_schema={"type": "object"}).cache_key("m"),
        Request(messages=[{"role": "user", "content": "hi!"}]).cache_key("m"),
    }
    assert len(keys) == 7


def test_unseeded_sampling_is_not_cacheable():
    assert _req().cacheable and _req(temperature=1.0, seed=3).cacheable
    assert not _req(temperature=1.0).cacheable
