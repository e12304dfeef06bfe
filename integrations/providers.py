"""The provider catalogue with the operator's overrides applied (settings.LLM_PRICE_OVERRIDES)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from integrations.catalogue import Catalogue, get_catalogue

__all__ = ["catalogue", "is_key_provider", "provider_base_url"]


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return get_catalogue(getattr(settings, "LLM_PRICE_OVERRIDES", None) or None)


@receiver(setting_changed)
def _reset(*, setting: str, **_: object) -> None:
    if setting == "LLM_PRICE_OVERRIDES":
        catalogue.cache_clear()


def is_key_provider(provider: str) -> bool:
    return any(p.id == provider for p in catalogue().key_providers())


def provider_base_url(provider: str) -> str | None:
    """The operator's base URL for ``provider`` (PROVIDER_BASE_URLS), or None for the catalogue default."""
    return (getattr(settings, "PROVIDER_BASE_URLS", None) or {}).get(provider) or None
