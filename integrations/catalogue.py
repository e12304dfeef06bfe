"""Provider catalogue: LLM providers and models with dated prices, scraping providers, platform API keys.

Pure data plus lookups (analysis.md 4.3-4.5, security.md 6.1, platforms.md 8-9). Nothing here reads Django
settings: the Django layer calls :func:`get_catalogue` with ``settings.LLM_PRICE_OVERRIDES`` and passes the
result (or uses the module-level helpers, which take an optional ``catalogue``).

Prices are per one million tokens in US dollars. A price whose ``confirmed`` flag is false was not checked
against the provider's own pricing page (the docs mark it **unconfirmed**); a model whose ``price`` is
``None`` has no figure in the docs and is unpriced until an override supplies one. Facts about limits that
come from neither the docs nor a provider page are listed in the model's ``unconfirmed`` set.

Override mapping (``settings.LLM_PRICE_OVERRIDES``)::

    {"openai": {"gpt-4o-mini": {"input_per_mtok": 0.15, "output_per_mtok": 0.6,
                                "cached_input_per_mtok": 0.075,
                                "effective_from": "2026-12-01", "source": "openai.com/api/pricing"}},
     "groq": {"some-new-model": {"input_per_mtok": 0.1, "output_per_mtok": 0.2,
                                 "context_window": 131072, "max_output": 8192}}}

An override for a known model replaces the price fields it names (an overridden price counts as confirmed
unless ``"confirmed": false`` is given) and may also set ``context_window``, ``max_output``,
``supports_temperature``, ``structured_output`` or ``status``. An override for an unknown model of a known
provider adds that model and must give both prices, ``context_window`` and ``max_output``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "API_STYLES",
    "CATALOGUE_DATE",
    "KEY_KINDS",
    "MODEL_STATUSES",
    "STRUCTURED_OUTPUT_MODES",
    "Catalogue",
    "KeyProvider",
    "LLMModel",
    "LLMProvider",
    "ModelPrice",
    "ServiceProvider",
    "UnknownModelError",
    "UnknownProviderError",
    "UnpricedModelError",
    "as_public_dict",
    "estimate_cost",
    "get_catalogue",
    "is_known_model",
    "key_providers",
    "llm_model",
    "llm_provider",
]

CATALOGUE_DATE = date(2026, 11, 22)  # the newest "seen" date of any figure below

ApiStyle = Literal["openai", "openai-compatible", "anthropic", "ollama"]
API_STYLES: tuple[str, ...] = ("openai", "openai-compatible", "anthropic", "ollama")

# How a provider is asked for JSON, strongest first:
#   json_schema_strict  response_format json_schema with strict=true (constrained decoding)
#   json_schema         response_format json_schema, best effort (the provider may ignore parts of it)
#   json_object         response_format json_object: valid JSON, schema only in the prompt
#   tool                Anthropic forced tool use; the tool's input_schema carries the schema
#   prompt              nothing enforced: schema in the prompt, answer parsed leniently
StructuredOutput = Literal["json_schema_strict", "json_schema", "json_object", "tool", "prompt"]
STRUCTURED_OUTPUT_MODES: tuple[str, ...] = ("json_schema_strict", "json_schema", "json_object", "tool", "prompt")

ModelStatus = Literal["active", "legacy", "retired"]
MODEL_STATUSES: tuple[str, ...] = ("active", "legacy", "retired")

KeyKind = Literal["llm", "scraping", "platform"]
KEY_KINDS: tuple[str, ...] = ("llm", "scraping", "platform")

_MTOK = Decimal(1_000_000)


class UnknownProviderError(KeyError):
    """The provider id is not in the catalogue."""


class UnknownModelError(KeyError):
    """The model id is not listed for that provider."""


class UnpricedModelError(LookupError):
    """The model has no price in the catalogue (add one through the price overrides)."""


@dataclass(frozen=True)
class ModelPrice:
    """US dollars per one million tokens. ``cached_input_per_mtok`` None bills cached tokens as input."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None
    effective_from: date
    source: str
    confirmed: bool

    def cost(self, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> Decimal:
        """Exact decimal cost. ``input_tokens`` includes ``cached_tokens`` (OpenAI's convention)."""
        if min(input_tokens, output_tokens, cached_tokens) < 0:
            raise ValueError("token counts must not be negative")
        if cached_tokens > input_tokens:
            raise ValueError("cached_tokens is part of input_tokens and cannot exceed it")
        cached_price = self.input_per_mtok if self.cached_input_per_mtok is None else self.cached_input_per_mtok
        # Decimal(str(x)) keeps the figure as written (0.15, not 0.1499999...), so sums of per-call costs
        # equal the cost of the summed tokens exactly.
        total = (
            Decimal(input_tokens - cached_tokens) * Decimal(str(self.input_per_mtok))
            + Decimal(cached_tokens) * Decimal(str(cached_price))
            + Decimal(output_tokens) * Decimal(str(self.output_per_mtok))
        )
        return total / _MTOK


@dataclass(frozen=True)
class LLMModel:
    id: str
    context_window: int
    max_output: int
    supports_temperature: bool
    price: ModelPrice | None
    status: ModelStatus = "active"
    reasoning: bool = False  # reasoning tokens bill as output
    default_reasoning_effort: str | None = None  # sent as reasoning_effort when set
    structured_output: StructuredOutput | None = None  # None: the provider's default
    unconfirmed: frozenset[str] = frozenset()  # names of fields not checked against a provider page
    note: str = ""


@dataclass(frozen=True)
class LLMProvider:
    id: str
    display_name: str
    api_style: ApiStyle
    default_base_url: str
    requires_key: bool
    structured_output: StructuredOutput
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"]
    models: Mapping[str, LLMModel]
    note: str = ""

    def structured_output_for(self, model_id: str) -> StructuredOutput:
        model = self.models.get(model_id)
        if model is not None and model.structured_output is not None:
            return model.structured_output
        return self.structured_output


@dataclass(frozen=True)
class ServiceProvider:
    """A scraping provider or a platform whose API a user may hold a key for."""

    id: str
    display_name: str
    kind: KeyKind
    default_base_url: str
    requires_key: bool
    auth: str  # how the key is sent, for documentation and the key-check call
    note: str = ""


@dataclass(frozen=True)
class KeyProvider:
    id: str
    display_name: str
    kind: KeyKind
    requires_key: bool


def _price(
    inp: float, out: float, cached: float | None, seen: date, source: str, *, confirmed: bool = False
) -> ModelPrice:
    return ModelPrice(inp, out, cached, seen, source, confirmed)


_NOV_2026 = date(2026, 11, 1)  # "as of 2026-11" in the docs (month only)
_AGGREGATORS = "third-party price aggregators quoting the provider (security.md 6.1, analysis.md 4.5), as of 2026-11"
_LIMITS = frozenset({"context_window", "max_output"})


def _models(*models: LLMModel) -> Mapping[str, LLMModel]:
    return MappingProxyType({m.id: m for m in models})


_LLM_PROVIDERS: tuple[LLMProvider, ...] = (
    LLMProvider(
        id="openai",
        display_name="OpenAI",
        api_style="openai",
        default_base_url="https://api.openai.com/v1",
        requires_key=True,
        structured_output="json_schema_strict",
        # The gpt-5 and o-series models reject max_tokens; max_completion_tokens works for every chat model.
        max_tokens_param="max_completion_tokens",
        models=_models(
            LLMModel(
                "gpt-4o-mini",
                128_000,
                16_384,
                True,
                _price(0.15, 0.60, 0.075, _NOV_2026, _AGGREGATORS),
                unconfirmed=_LIMITS,
            ),
            LLMModel("gpt-4o", 128_000, 16_384, True, None, unconfirmed=_LIMITS, note="no price in the docs"),
            LLMModel(
                "gpt-4-turbo",
                128_000,
                4_096,
                True,
                None,
                status="legacy",
                unconfirmed=_LIMITS | {"status"},
                note="older model in the original catalogue; confirm it is still served (analysis.md 4.4)",
            ),
            LLMModel(
                "gpt-4.1-nano",
                1_047_576,
                32_768,
                True,
                _price(0.10, 0.40, None, _NOV_2026, _AGGREGATORS),
                unconfirmed=_LIMITS,
            ),
            LLMModel(
                "gpt-5-mini",
                400_000,
                128_000,
                False,
                _price(0.25, 2.00, None, _NOV_2026, _AGGREGATORS),
                reasoning=True,
                default_reasoning_effort="minimal",
                unconfirmed=_LIMITS | {"supports_temperature"},
                note="reasoning model: reasoning tokens bill as output; use minimal effort",
            ),
            LLMModel(
                "gpt-5-nano",
                400_000,
                128_000,
                False,
                _price(0.05, 0.40, None, _NOV_2026, _AGGREGATORS),
                reasoning=True,
                default_reasoning_effort="minimal",
                unconfirmed=_LIMITS | {"supports_temperature"},
                note="reasoning model: reasoning tokens bill as output; use minimal effort",
            ),
        ),
    ),
    LLMProvider(
        id="anthropic",
        display_name="Anthropic",
        api_style="anthropic",
        default_base_url="https://api.anthropic.com",
        requires_key=True,
        structured_output="tool",
        max_tokens_param="max_tokens",
        models=_models(
            LLMModel(
                "claude-haiku-5-5",
                200_000,
                64_000,
                True,
                _price(
                    0.10,
                    0.50,
                    None,
                    date(2026, 11, 22),
                    "Anthropic model page, seen 2026-11-22 (analysis.md 4.5); price for prompts <= 100k tokens",
                    confirmed=True,
                ),
                unconfirmed=_LIMITS,
                note="tokenizer counts about 30 % more tokens than Haiku 4.5 for the same text",
            ),
            LLMModel(
                "claude-haiku-4-5-20251001",
                200_000,
                64_000,
                True,
                _price(1.0, 5.0, None, date(2026, 11, 22), "Anthropic model page, seen 2026-11-22", confirmed=True),
                status="legacy",
                note="marked legacy on Anthropic's model page",
            ),
            LLMModel(
                "claude-3-5-sonnet-20241022",
                200_000,
                8_192,
                True,
                None,
                status="retired",
                unconfirmed=frozenset({"status"}),
                note="original catalogue entry; not in the anthropic SDK's model list any more",
            ),
            LLMModel(
                "claude-3-5-haiku-20241022",
                200_000,
                8_192,
                True,
                None,
                status="retired",
                note="original catalogue entry; end of life 2026-02-19 per the anthropic SDK's deprecation table",
            ),
        ),
    ),
    LLMProvider(
        id="groq",
        display_name="Groq",
        api_style="openai-compatible",
        default_base_url="https://api.groq.com/openai/v1",
        requires_key=True,
        # Strict json_schema only on select models (constrained decoding); json_object elsewhere (analysis.md 4.4).
        structured_output="json_object",
        max_tokens_param="max_completion_tokens",
        models=_models(
            LLMModel(
                "llama-3.3-70b-versatile",
                131_072,
                32_768,
                True,
                _price(
                    0.59,
                    0.79,
                    None,
                    date(2024, 1, 1),
                    "a 2024 third-party figure for Groq's Llama 3 70B (analysis.md 4.5; year only)",
                ),
                unconfirmed=_LIMITS,
                note="preset model: starter, standard, advanced",
            ),
            LLMModel(
                "llama-3.1-8b-instant",
                131_072,
                8_192,
                True,
                _price(0.05, 0.08, None, _NOV_2026, "not checked against groq.com/pricing (security.md 6.1), 2026-11"),
                unconfirmed=_LIMITS,
                note="preset model: budget",
            ),
            LLMModel(
                "openai/gpt-oss-120b",
                131_072,
                65_536,
                True,
                _price(0.15, 0.60, 0.075, _NOV_2026, _AGGREGATORS),
                reasoning=True,
                default_reasoning_effort="low",
                structured_output="json_schema_strict",
                unconfirmed=_LIMITS | {"structured_output"},
                note="reasoning model; batch API -50 % (third-party)",
            ),
            LLMModel(
                "mixtral-8x7b-32768",
                32_768,
                32_768,
                True,
                None,
                status="retired",
                unconfirmed=frozenset({"status"}),
                note="original catalogue entry; confirm it is still served before use (analysis.md 4.4)",
            ),
        ),
    ),
    LLMProvider(
        id="mistral",
        display_name="Mistral AI",
        api_style="openai-compatible",
        default_base_url="https://api.mistral.ai/v1",
        requires_key=True,
        structured_output="json_object",
        max_tokens_param="max_tokens",
        models=_models(
            LLMModel("mistral-small-latest", 128_000, 8_192, True, None, unconfirmed=_LIMITS),
            LLMModel("mistral-large-latest", 128_000, 8_192, True, None, unconfirmed=_LIMITS),
        ),
        note="no prices in the docs: set them through the price overrides before billing on them",
    ),
    LLMProvider(
        id="together",
        display_name="Together AI",
        api_style="openai-compatible",
        default_base_url="https://api.together.xyz/v1",
        requires_key=True,
        structured_output="json_schema",
        max_tokens_param="max_tokens",
        models=_models(
            LLMModel("meta-llama/Llama-3.3-70B-Instruct-Turbo", 131_072, 8_192, True, None, unconfirmed=_LIMITS),
        ),
        note="no prices in the docs: set them through the price overrides before billing on them",
    ),
    LLMProvider(
        id="openrouter",
        display_name="OpenRouter",
        api_style="openai-compatible",
        default_base_url="https://openrouter.ai/api/v1",
        requires_key=True,
        structured_output="json_schema",
        max_tokens_param="max_tokens",
        models=_models(
            LLMModel(
                "openai/gpt-4o-mini",
                128_000,
                16_384,
                True,
                _price(0.15, 0.60, 0.075, _NOV_2026, _AGGREGATORS + "; OpenRouter pass-through assumed"),
                unconfirmed=_LIMITS,
            ),
            LLMModel("meta-llama/llama-3.3-70b-instruct", 131_072, 8_192, True, None, unconfirmed=_LIMITS),
        ),
        note="routes to many upstream providers; schema support depends on the upstream model",
    ),
    LLMProvider(
        id="deepseek",
        display_name="DeepSeek",
        api_style="openai-compatible",
        default_base_url="https://api.deepseek.com",
        requires_key=True,
        structured_output="json_object",
        max_tokens_param="max_tokens",
        models=_models(LLMModel("deepseek-chat", 128_000, 8_192, True, None, unconfirmed=_LIMITS)),
        note="no prices in the docs: set them through the price overrides before billing on them",
    ),
    LLMProvider(
        id="ollama",
        display_name="Ollama (local)",
        api_style="ollama",
        default_base_url="http://localhost:11434/v1",
        requires_key=False,
        # Ollama >= 0.5 accepts a JSON schema as `format`; its /v1 endpoint maps response_format onto it.
        structured_output="json_schema",
        max_tokens_param="max_tokens",
        models=_models(
            *(
                LLMModel(
                    model_id,
                    4_096,
                    4_096,
                    True,
                    _price(0.0, 0.0, 0.0, CATALOGUE_DATE, "local model: no per-token price", confirmed=True),
                    note="4,096-token context as served by default (analysis.md 4.4); cost is hardware time",
                )
                for model_id in ("llama3.2", "mistral")
            )
        ),
        note="runs on the operator's hardware; an API key is optional (for a proxy in front of it)",
    ),
)

_SERVICE_PROVIDERS: tuple[ServiceProvider, ...] = (
    ServiceProvider(
        "scraperapi",
        "ScraperAPI",
        "scraping",
        "https://api.scraperapi.com",
        True,
        "query parameter api_key",
        note="Amazon pages cost 5 credits; client timeout >= 70 s (platforms.md 8)",
    ),
    ServiceProvider(
        "apify",
        "Apify",
        "scraping",
        "https://api.apify.com/v2",
        True,
        "Authorization: Bearer",
        note="actors pinned by build; run-sync-get-dataset-items (platforms.md 9)",
    ),
    ServiceProvider(
        "youtube",
        "YouTube Data API v3",
        "platform",
        "https://www.googleapis.com/youtube/v3",
        True,
        "query parameter key",
        note="10,000 quota units per day by default (platforms.md 4)",
    ),
    ServiceProvider(
        "google",
        "Google Places API (New)",
        "platform",
        "https://places.googleapis.com/v1",
        True,
        "X-Goog-Api-Key header",
        note="Place Details returns at most 5 reviews (platforms.md 6)",
    ),
)


@dataclass(frozen=True)
class Catalogue:
    date: date
    llm_providers: Mapping[str, LLMProvider]
    services: Mapping[str, ServiceProvider]
    overridden: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (provider, model) pairs

    def llm_provider(self, provider_id: str) -> LLMProvider:
        try:
            return self.llm_providers[provider_id]
        except KeyError:
            raise UnknownProviderError(provider_id) from None

    def llm_model(self, provider_id: str, model_id: str) -> LLMModel:
        provider = self.llm_provider(provider_id)
        try:
            return provider.models[model_id]
        except KeyError:
            raise UnknownModelError(f"{provider_id}/{model_id}") from None

    def is_known_model(self, provider_id: str, model_id: str) -> bool:
        provider = self.llm_providers.get(provider_id)
        return provider is not None and model_id in provider.models

    def key_providers(self) -> tuple[KeyProvider, ...]:
        llm = [KeyProvider(p.id, p.display_name, "llm", p.requires_key) for p in self.llm_providers.values()]
        other = [KeyProvider(s.id, s.display_name, s.kind, s.requires_key) for s in self.services.values()]
        return tuple(llm + other)

    def cost(
        self, provider_id: str, model_id: str, input_tokens: int, output_tokens: int, cached_tokens: int = 0
    ) -> Decimal:
        """Exact :class:`~decimal.Decimal` cost; raises :class:`UnpricedModelError` for an unpriced model."""
        model = self.llm_model(provider_id, model_id)
        if model.price is None:
            raise UnpricedModelError(f"{provider_id}/{model_id} has no price; add one to the price overrides")
        return model.price.cost(input_tokens, output_tokens, cached_tokens)

    def estimate_cost(
        self, provider_id: str, model_id: str, input_tokens: int, output_tokens: int, cached_tokens: int = 0
    ) -> float:
        return float(self.cost(provider_id, model_id, input_tokens, output_tokens, cached_tokens))

    def as_public_dict(self) -> dict[str, Any]:
        """JSON-ready listing for ``GET /api/v1/providers`` (no secrets exist here to leak)."""
        return {
            "catalogue_date": self.date.isoformat(),
            "llm": [_provider_dict(p) for p in self.llm_providers.values()],
            "scraping": [_service_dict(s) for s in self.services.values() if s.kind == "scraping"],
            "platform": [_service_dict(s) for s in self.services.values() if s.kind == "platform"],
        }


def _price_dict(price: ModelPrice | None) -> dict[str, Any] | None:
    if price is None:
        return None
    return {
        "input_per_mtok": price.input_per_mtok,
        "output_per_mtok": price.output_per_mtok,
        "cached_input_per_mtok": price.cached_input_per_mtok,
        "effective_from": price.effective_from.isoformat(),
        "source": price.source,
        "confirmed": price.confirmed,
    }


def _provider_dict(p: LLMProvider) -> dict[str, Any]:
    return {
        "id": p.id,
        "display_name": p.display_name,
        "kind": "llm",
        "api_style": p.api_style,
        "default_base_url": p.default_base_url,
        "requires_key": p.requires_key,
        "structured_output": p.structured_output,
        "note": p.note,
        "models": [
            {
                "id": m.id,
                "context_window": m.context_window,
                "max_output": m.max_output,
                "supports_temperature": m.supports_temperature,
                "reasoning": m.reasoning,
                "structured_output": p.structured_output_for(m.id),
                "status": m.status,
                "price": _price_dict(m.price),
                "unconfirmed": sorted(m.unconfirmed),
                "note": m.note,
            }
            for m in p.models.values()
        ],
    }


def _service_dict(s: ServiceProvider) -> dict[str, Any]:
    return {
        "id": s.id,
        "display_name": s.display_name,
        "kind": s.kind,
        "default_base_url": s.default_base_url,
        "requires_key": s.requires_key,
        "auth": s.auth,
        "note": s.note,
    }


_PRICE_FIELDS = ("input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "effective_from", "source", "confirmed")
_MODEL_FIELDS = ("context_window", "max_output", "supports_temperature", "structured_output", "status")
_ALLOWED_OVERRIDE_FIELDS = frozenset(_PRICE_FIELDS + _MODEL_FIELDS)


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where}: effective_from must be an ISO date, got {value!r}")


def _non_negative_number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{where}: expected a non-negative number, got {value!r}")
    return float(value)


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{where}: expected a positive integer, got {value!r}")
    return value


def _apply_model_override(provider: LLMProvider, model_id: str, spec: Mapping[str, Any], today: date) -> LLMModel:
    where = f"LLM_PRICE_OVERRIDES[{provider.id!r}][{model_id!r}]"
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a mapping")
    unknown = set(spec) - _ALLOWED_OVERRIDE_FIELDS
    if unknown:
        raise ValueError(f"{where}: unknown fields {sorted(unknown)}")
    existing = provider.models.get(model_id)
    if existing is None:
        missing = {"input_per_mtok", "output_per_mtok", "context_window", "max_output"} - set(spec)
        if missing:
            raise ValueError(f"{where}: a model not in the catalogue needs {sorted(missing)}")
        existing = LLMModel(model_id, 1, 1, True, None)

    price_changes = {k: spec[k] for k in _PRICE_FIELDS if k in spec}
    price = existing.price
    if price_changes:
        if price is None and not {"input_per_mtok", "output_per_mtok"} <= set(price_changes):
            raise ValueError(f"{where}: an unpriced model needs both input_per_mtok and output_per_mtok")
        base = price or ModelPrice(0.0, 0.0, None, today, "", False)
        cached = price_changes.get("cached_input_per_mtok", base.cached_input_per_mtok)
        price = ModelPrice(
            input_per_mtok=_non_negative_number(price_changes.get("input_per_mtok", base.input_per_mtok), where),
            output_per_mtok=_non_negative_number(price_changes.get("output_per_mtok", base.output_per_mtok), where),
            cached_input_per_mtok=None if cached is None else _non_negative_number(cached, where),
            effective_from=_as_date(price_changes.get("effective_from", today), where),
            source=str(price_changes.get("source", "price override")),
            confirmed=bool(price_changes.get("confirmed", True)),
        )

    changes: dict[str, Any] = {"price": price}
    if "context_window" in spec:
        changes["context_window"] = _positive_int(spec["context_window"], where)
    if "max_output" in spec:
        changes["max_output"] = _positive_int(spec["max_output"], where)
    if "supports_temperature" in spec:
        changes["supports_temperature"] = bool(spec["supports_temperature"])
    if "structured_output" in spec:
        if spec["structured_output"] not in STRUCTURED_OUTPUT_MODES:
            raise ValueError(f"{where}: structured_output must be one of {STRUCTURED_OUTPUT_MODES}")
        changes["structured_output"] = spec["structured_output"]
    if "status" in spec:
        if spec["status"] not in MODEL_STATUSES:
            raise ValueError(f"{where}: status must be one of {MODEL_STATUSES}")
        changes["status"] = spec["status"]
    overridden_fields = frozenset(k for k in spec if k in _MODEL_FIELDS)
    changes["unconfirmed"] = existing.unconfirmed - overridden_fields - ({"price"} if price_changes else set())
    return replace(existing, **changes)


def _build(overrides: Mapping[str, Any] | None) -> Catalogue:
    providers = {p.id: p for p in _LLM_PROVIDERS}
    overridden: set[tuple[str, str]] = set()
    for provider_id, models in (overrides or {}).items():
        if provider_id not in providers:
            raise ValueError(f"LLM_PRICE_OVERRIDES: unknown provider {provider_id!r}")
        if not isinstance(models, Mapping):
            raise ValueError(f"LLM_PRICE_OVERRIDES[{provider_id!r}]: expected a mapping of model ids")
        provider = providers[provider_id]
        new_models = dict(provider.models)
        for model_id, spec in models.items():
            new_models[model_id] = _apply_model_override(provider, str(model_id), spec, CATALOGUE_DATE)
            overridden.add((provider_id, str(model_id)))
        providers[provider_id] = replace(provider, models=MappingProxyType(new_models))
    return Catalogue(
        date=CATALOGUE_DATE,
        llm_providers=MappingProxyType(providers),
        services=MappingProxyType({s.id: s for s in _SERVICE_PROVIDERS}),
        overridden=frozenset(overridden),
    )


_DEFAULT = _build(None)


def get_catalogue(overrides: Mapping[str, Any] | None = None) -> Catalogue:
    """The built-in catalogue, with ``overrides`` (``settings.LLM_PRICE_OVERRIDES``) merged in.

    Raises ValueError on a malformed override, so a typo in settings fails at startup rather than
    silently billing at the old price.
    """
    return _DEFAULT if not overrides else _build(overrides)


def llm_provider(provider_id: str, *, catalogue: Catalogue | None = None) -> LLMProvider:
    return (catalogue or _DEFAULT).llm_provider(provider_id)


def llm_model(provider_id: str, model_id: str, *, catalogue: Catalogue | None = None) -> LLMModel:
    return (catalogue or _DEFAULT).llm_model(provider_id, model_id)


def is_known_model(provider_id: str, model_id: str, *, catalogue: Catalogue | None = None) -> bool:
    return (catalogue or _DEFAULT).is_known_model(provider_id, model_id)


def key_providers(*, catalogue: Catalogue | None = None) -> tuple[KeyProvider, ...]:
    """Every provider a user may store a key for (LLM, scraping, platform). Ollama's key is optional."""
    return (catalogue or _DEFAULT).key_providers()


def estimate_cost(
    provider_id: str,
    model_id: str,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    *,
    catalogue: Catalogue | None = None,
) -> float:
    """Dollar cost of one call; ``input_tokens`` includes ``cached_tokens``. Unpriced models raise."""
    return (catalogue or _DEFAULT).estimate_cost(provider_id, model_id, input_tokens, output_tokens, cached_tokens)


def as_public_dict(*, catalogue: Catalogue | None = None) -> dict[str, Any]:
    return (catalogue or _DEFAULT).as_public_dict()
