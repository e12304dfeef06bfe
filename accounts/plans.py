"""Plans and their limits, defined once. Pure data: no model imports.

``None`` means unlimited. Presets and LLM providers a plan may use are listed by id; the
catalogue of providers lives in ``integrations.catalogue``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanLimits:
    projects: int | None
    targets_per_project: int | None
    scrape_jobs_per_month: int | None
    results_stored: int | None
    api_calls_per_month: int | None
    api_calls_per_minute: int
    results_retention_days: int
    presets: tuple[str, ...]
    llm_providers: tuple[str, ...] | None  # None: every provider in the catalogue


_OPEN_PROVIDERS = ("groq", "ollama")

PLANS: dict[str, PlanLimits] = {
    "starter": PlanLimits(
        projects=3, targets_per_project=10, scrape_jobs_per_month=50, results_stored=5_000,
        api_calls_per_month=10_000, api_calls_per_minute=60, results_retention_days=30,
        presets=("starter", "budget"), llm_providers=_OPEN_PROVIDERS,
    ),
    "standard": PlanLimits(
        projects=10, targets_per_project=50, scrape_jobs_per_month=500, results_stored=50_000,
        api_calls_per_month=100_000, api_calls_per_minute=120, results_retention_days=90,
        presets=("starter", "standard", "budget"),
        llm_providers=("groq", "ollama", "openai", "mistral", "together", "deepseek"),
    ),
    "advanced": PlanLimits(
        projects=50, targets_per_project=200, scrape_jobs_per_month=5_000, results_stored=500_000,
        api_calls_per_month=1_000_000, api_calls_per_minute=300, results_retention_days=180,
        presets=("starter", "standard", "advanced", "budget"), llm_providers=None,
    ),
    "enterprise": PlanLimits(
        projects=None, targets_per_project=None, scrape_jobs_per_month=None, results_stored=None,
        api_calls_per_month=None, api_calls_per_minute=1_000, results_retention_days=365,
        presets=("starter", "standard", "advanced", "budget", "enterprise"), llm_providers=None,
    ),
}  # fmt: skip

DEFAULT_PLAN = "starter"


def plan_limits(plan: str) -> PlanLimits:
    return PLANS.get(plan, PLANS[DEFAULT_PLAN])


def allows_preset(plan: str, preset: str) -> bool:
    """System presets are gated by plan; a custom preset (any other name) is always allowed."""
    system = {name for limits in PLANS.values() for name in limits.presets}
    return preset not in system or preset in plan_limits(plan).presets


def allows_llm_provider(plan: str, provider: str) -> bool:
    allowed = plan_limits(plan).llm_providers
    return allowed is None or provider in allowed
