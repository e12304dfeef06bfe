"""Helpers shared by the benchmarks: one JSON line per bench, timers, percentiles."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


def env_int(name: str, default: int) -> int:
    """Sizes can be shrunk for smoke tests (``BENCH_<NAME>=...``); the defaults are the issue's sizes."""
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Timer:
    """Wall and CPU seconds of this process, accumulated over several ``with timer.run():`` blocks."""

    wall: float = 0.0
    cpu: float = 0.0
    samples: list[float] = field(default_factory=list)

    @contextmanager
    def run(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - wall
            self.wall += elapsed
            self.cpu += time.process_time() - cpu
            self.samples.append(elapsed)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def emit(bench: str, figures: Mapping[str, Any], *, ratio: float | None, target: str, meets: bool | None) -> dict:
    """Print the bench's one JSON line and return it (the smoke tests read the dict)."""
    line = {
        "bench": bench,
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "meets_target": meets,
    }
    line.update(figures)
    print(json.dumps(line, sort_keys=False), flush=True)
    return line


def setup_django() -> None:
    """Configure Django on the emulated engine with the test settings and migrate a fresh database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sentimatrix.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    # The emulated engine keeps nothing between processes: migrate the in-memory database once.
    call_command("migrate", verbosity=0, interactive=False)
    connection.ensure_connection()


def quiet_stderr(function: Callable[[], Any]) -> Any:
    """Run ``function`` with stderr silenced (the emulated engine's start-up warning), and keep
    INFO logs (audit lines) out of the bench output."""
    import logging

    logging.disable(logging.INFO)
    saved = sys.stderr
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - stays open: handlers made meanwhile keep it
    try:
        return function()
    finally:
        sys.stderr = saved
