"""Provider catalogue: preset models, prices against the docs' cost tables, lookups, overrides."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from integrations import catalogue as cat

PRESET_MODELS = [
    ("groq", "llama-3.3-70b-versatile"),  # starter, standard, advanced
    ("groq", "llama-3.1-8b-instant"),  # budget
    ("openai", "gpt-4o-mini"),  # enterprise
]


@pytest.mark.parametrize(("provider", "model"), PRESET_MODELS)
def test_preset_models_are_known_and_priced(provider: str, model: str) -> None:
    assert cat.is_known_model(provider, model)
    entry = cat.llm_model(provider, model)
    assert entry.price is not None
    assert entry.status == "active"


def test_all_llm_providers_with_api_style_and_key_rule() -> None:
    expected = {
        "openai": ("openai", True),
        "anthropic": ("anthropic", True),
        "groq": ("openai-compatible", True),
        "mistral": ("openai-compatible", True),
        "together": ("openai-compatible", True),
        "openrouter": ("openai-compatible", True),
        "deepseek": ("openai-compatible", True),
        "ollama": ("ollama", False),
    }
    got = {p.id: (p.api_style, p.requires_key) for p in cat.get_catalogue().llm_providers.values()}
    assert got == expected
    assert cat.llm_provider("groq").default_base_url == "https://api.groq.com/openai/v1"
    assert cat.llm_provider("ollama").default_base_url == "http://localhost:11434/v1"


def test_structured_output_modes() -> None:
    assert cat.llm_provider("openai").structured_output_for("gpt-4o-mini") == "json_schema_strict"
    assert cat.llm_provider("anthropic").structured_output_for("claude-haiku-4-5-20251001") == "tool"
    # Groq: strict schema only on select models, json_object elsewhere (analysis.md 4.4).
    assert cat.llm_provider("groq").structured_output_for("llama-3.3-70b-versatile") == "json_object"
    assert cat.llm_provider("groq").structured_output_for("openai/gpt-oss-120b") == "json_schema_strict"
    # An unknown model of a known provider gets the provider default.
    assert cat.llm_provider("groq").structured_output_for("whatever") == "json_object"


# analysis.md 4.5 / security.md 6.1 tables: cost per 1,000 reviews, rounded to 3 decimals as printed there.
@pytest.mark.parametrize(
    ("provider", "model", "one_per_request", "twenty_per_request"),
    [
        ("openai", "gpt-4o-mini", 0.114, 0.057),
        ("openai", "gpt-4.1-nano", 0.076, 0.038),
        ("openai", "gpt-5-nano", 0.048, 0.029),
        ("groq", "llama-3.1-8b-instant", 0.032, 0.013),
        ("groq", "openai/gpt-oss-120b", 0.114, 0.057),
        ("groq", "llama-3.3-70b-versatile", 0.370, 0.146),
    ],
)
def test_prices_reproduce_the_docs_cost_tables(provider, model, one_per_request, twenty_per_request) -> None:
    assert round(cat.estimate_cost(provider, model, 560_000, 50_000), 3) == one_per_request
    assert round(cat.estimate_cost(provider, model, 180_000, 50_000), 3) == twenty_per_request


def test_estimate_cost_is_exact_and_bills_cached_tokens_at_the_cached_price() -> None:
    assert cat.estimate_cost("openai", "gpt-4o-mini", 180_000, 50_000) == 0.057
    # 600k uncached at 0.15 + 400k cached at 0.075 = 0.09 + 0.03.
    assert cat.estimate_cost("openai", "gpt-4o-mini", 1_000_000, 0, cached_tokens=400_000) == 0.12
    # No cached price listed: cached tokens bill as ordinary input.
    assert cat.estimate_cost("openai", "gpt-4.1-nano", 1_000_000, 0, cached_tokens=400_000) == 0.1
    assert cat.get_catalogue().cost("openai", "gpt-4o-mini", 3, 7) == Decimal("0.00000465")
    assert cat.estimate_cost("ollama", "llama3.2", 123_456, 7_890) == 0.0


def test_estimate_cost_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="cannot exceed"):
        cat.estimate_cost("openai", "gpt-4o-mini", 10, 0, cached_tokens=11)
    with pytest.raises(ValueError, match="negative"):
        cat.estimate_cost("openai", "gpt-4o-mini", -1, 0)


def test_lookup_errors() -> None:
    with pytest.raises(cat.UnknownProviderError):
        cat.llm_provider("cohere")
    with pytest.raises(cat.UnknownModelError):
        cat.llm_model("openai", "gpt-9")
    with pytest.raises(cat.UnpricedModelError, match="price overrides"):
        cat.estimate_cost("openai", "gpt-4o", 1, 1)
    assert not cat.is_known_model("openai", "llama3.2")
    assert not cat.is_known_model("nope", "gpt-4o-mini")


def test_unconfirmed_figures_are_marked() -> None:
    mini = cat.llm_model("openai", "gpt-4o-mini")
    assert mini.price is not None and mini.price.confirmed is False
    assert mini.price.effective_from == date(2026, 11, 1)
    assert "unconfirmed" not in mini.price.source  # the flag carries it; the source says where it came from
    haiku = cat.llm_model("anthropic", "claude-haiku-4-5-20251001")
    assert haiku.price is not None and haiku.price.confirmed is True
    assert (haiku.price.input_per_mtok, haiku.price.output_per_mtok) == (1.0, 5.0)
    assert cat.llm_model("openai", "gpt-5-nano").supports_temperature is False
    assert "supports_temperature" in cat.llm_model("openai", "gpt-5-nano").unconfirmed
    assert cat.llm_model("anthropic", "claude-3-5-haiku-20241022").status == "retired"
    assert cat.CATALOGUE_DATE == date(2026, 11, 22)


def test_key_providers_cover_llm_scraping_and_platform_keys() -> None:
    kinds = {p.id: p.kind for p in cat.key_providers()}
    assert kinds == {
        "openai": "llm",
        "anthropic": "llm",
        "groq": "llm",
        "mistral": "llm",
        "together": "llm",
        "openrouter": "llm",
        "deepseek": "llm",
        "ollama": "llm",
        "scraperapi": "scraping",
        "apify": "scraping",
        "youtube": "platform",
        "google": "platform",
    }
    ollama = next(p for p in cat.key_providers() if p.id == "ollama")
    assert ollama.requires_key is False


def test_public_dict_is_json_ready() -> None:
    data = json.loads(json.dumps(cat.as_public_dict()))
    assert data["catalogue_date"] == "2026-11-22"
    assert [p["id"] for p in data["scraping"]] == ["scraperapi", "apify"]
    assert [p["id"] for p in data["platform"]] == ["youtube", "google"]
    groq = next(p for p in data["llm"] if p["id"] == "groq")
    fast = next(m for m in groq["models"] if m["id"] == "llama-3.1-8b-instant")
    assert fast["price"] == {
        "input_per_mtok": 0.05,
        "output_per_mtok": 0.08,
        "cached_input_per_mtok": None,
        "effective_from": "2026-11-01",
        "source": "not checked against groq.com/pricing (security.md 6.1), 2026-11",
        "confirmed": False,
    }
    gpt4o = next(m for m in data["llm"][0]["models"] if m["id"] == "gpt-4o")
    assert gpt4o["price"] is None


def test_overrides_replace_prices_and_add_models_without_touching_the_default() -> None:
    overrides = {
        "openai": {
            "gpt-4o-mini": {"input_per_mtok": 0.2, "effective_from": "2026-12-01", "source": "openai.com/api/pricing"},
            "gpt-4o": {"input_per_mtok": 2.5, "output_per_mtok": 10, "cached_input_per_mtok": 1.25},
        },
        "groq": {
            "qwen-next": {"input_per_mtok": 0.3, "output_per_mtok": 0.9, "context_window": 131_072, "max_output": 8192}
        },
    }
    custom = cat.get_catalogue(overrides)
    mini = custom.llm_model("openai", "gpt-4o-mini")
    assert mini.price is not None
    assert (mini.price.input_per_mtok, mini.price.output_per_mtok, mini.price.cached_input_per_mtok) == (
        0.2,
        0.6,
        0.075,
    )
    assert mini.price.effective_from == date(2026, 12, 1)
    assert mini.price.source == "openai.com/api/pricing"
    assert mini.price.confirmed is True
    assert custom.estimate_cost("openai", "gpt-4o-mini", 1_000_000, 0) == 0.2
    assert cat.estimate_cost("openai", "gpt-4o", 1_000_000, 1_000_000, catalogue=custom) == 12.5
    assert custom.is_known_model("groq", "qwen-next")
    assert custom.llm_model("groq", "qwen-next").context_window == 131_072
    assert ("groq", "qwen-next") in custom.overridden
    # The built-in catalogue is unchanged.
    assert cat.estimate_cost("openai", "gpt-4o-mini", 1_000_000, 0) == 0.15
    assert not cat.is_known_model("groq", "qwen-next")
    assert cat.get_catalogue() is cat.get_catalogue(None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cohere": {}}, "unknown provider"),
        ({"openai": {"gpt-4o-mini": {"input_price": 1}}}, "unknown fields"),
        ({"openai": {"gpt-4o-mini": {"input_per_mtok": -1}}}, "non-negative"),
        ({"openai": {"gpt-4o-mini": {"effective_from": "last week"}}}, "ISO date"),
        ({"openai": {"brand-new": {"input_per_mtok": 1, "output_per_mtok": 2}}}, "needs"),
        ({"openai": {"gpt-4o": {"input_per_mtok": 1}}}, "both input_per_mtok and output_per_mtok"),
        ({"openai": {"gpt-4o-mini": {"structured_output": "xml"}}}, "structured_output"),
        ({"openai": ["gpt-4o-mini"]}, "mapping"),
    ],
)
def test_malformed_overrides_fail_loudly(overrides, message) -> None:
    with pytest.raises(ValueError, match=message):
        cat.get_catalogue(overrides)
