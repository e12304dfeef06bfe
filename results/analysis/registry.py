"""Analyzer names to factories.

"local-fast" (lexicon tier), "local" (embedding tier) and "llm" (``LLMAnalyzer``, which needs
``client``, ``provider``, ``model``, ``temperature`` and ``max_tokens``) are registered here, each
imported only when asked for.

``get_analyzer(name, **kwargs)`` passes keyword arguments to the factory (the LLM analyzer needs a
client and key; the offline ones accept an optional ``clock``). Offline analyzers are cheap to
construct: models load on first use and are cached per process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .types import AnalysisError, Analyzer

AnalyzerFactory = Callable[..., Analyzer]


class UnknownAnalyzerError(AnalysisError):
    code = "unknown_analyzer"


_factories: dict[str, AnalyzerFactory] = {}
_lock = threading.Lock()


def register(name: str, factory: AnalyzerFactory, *, replace: bool = False) -> None:
    """Register ``factory`` under ``name``; registering a taken name needs ``replace=True``."""
    if not name or not isinstance(name, str):
        raise ValueError("analyzer name must be a non-empty string")
    with _lock:
        if name in _factories and not replace:
            raise ValueError(f"analyzer {name!r} is already registered")
        _factories[name] = factory


def unregister(name: str) -> None:
    with _lock:
        _factories.pop(name, None)


def available() -> tuple[str, ...]:
    with _lock:
        return tuple(sorted(_factories))


def get_analyzer(name: str, **kwargs: Any) -> Analyzer:
    with _lock:
        factory = _factories.get(name)
    if factory is None:
        raise UnknownAnalyzerError(f"unknown analyzer {name!r}; registered: {', '.join(available()) or 'none'}")
    return factory(**kwargs)


def _local_fast(**kwargs: Any) -> Analyzer:
    from .lexicon import LexiconAnalyzer

    return LexiconAnalyzer(**kwargs)


def _local(**kwargs: Any) -> Analyzer:
    from .embedding import EmbeddingAnalyzer

    return EmbeddingAnalyzer(**kwargs)


register("local-fast", _local_fast)
register("local", _local)


def _llm(**kwargs: Any) -> Analyzer:
    from .llm import LLMAnalyzer

    return LLMAnalyzer(**kwargs)


register("llm", _llm)
