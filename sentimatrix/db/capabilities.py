"""What the connected engine can do, asked in one place instead of scattered ``if emulated``."""

from __future__ import annotations

from django.db import connections

from sentimatrix.db.engines import EMULATED_ENGINE


def is_emulated(alias: str = "default") -> bool:
    return connections[alias].settings_dict["ENGINE"] == EMULATED_ENGINE


def supports_text_search(alias: str = "default") -> bool:
    """``$text`` queries need a real server; the emulator falls back to ``$regex`` search."""
    return not is_emulated(alias)


def supports_server_stats(alias: str = "default") -> bool:
    """``collStats``, ``dbStats``, ``$indexStats`` and profiling exist only on a real server."""
    return not is_emulated(alias)
