"""The analyzer registry: names, factories, errors."""

from __future__ import annotations

import pytest

from integrations.llm import create_llm_client
from results.analysis import registry
from results.analysis.lexicon import LexiconAnalyzer
from results.analysis.llm import LLMAnalyzer


def test_offline_and_llm_analyzers_are_registered() -> None:
    assert {"local-fast", "local", "llm"} <= set(registry.available())
    assert isinstance(registry.get_analyzer("local-fast"), LexiconAnalyzer)
    client = create_llm_client("openai", api_key="sk-test-registry-000000000", base_url="http://llm.test/v1")
    llm = registry.get_analyzer(
        "llm", client=client, provider="openai", model="gpt-4o-mini", temperature=0.3, max_tokens=1000
    )
    assert isinstance(llm, LLMAnalyzer) and llm.name.startswith("llm:openai/gpt-4o-mini+prompt-")


def test_unknown_name_lists_what_exists() -> None:
    with pytest.raises(registry.UnknownAnalyzerError, match="local-fast") as caught:
        registry.get_analyzer("vader")
    assert caught.value.code == "unknown_analyzer"


def test_register_refuses_a_taken_name_unless_replacing() -> None:
    registry.register("test-dummy", lambda **kw: LexiconAnalyzer(**kw))
    try:
        with pytest.raises(ValueError, match="already registered"):
            registry.register("test-dummy", lambda **kw: LexiconAnalyzer(**kw))
        registry.register("test-dummy", lambda **kw: "replaced", replace=True)
        assert registry.get_analyzer("test-dummy") == "replaced"
        with pytest.raises(ValueError):
            registry.register("", lambda **kw: None)
    finally:
        registry.unregister("test-dummy")
    assert "test-dummy" not in registry.available()
