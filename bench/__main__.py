"""``python -m bench [name ...]``: run every benchmark (or the named ones), one process each.

Each bench prints one JSON line on stdout. A separate process per bench keeps one bench's caches,
threads and database out of the next one's timings, and a crash in one does not hide the others.
The exit status is 1 when a bench crashed; a missed target is reported in its line, not as a failure
(the VM is noisy: the targets are for people to read, the tests guard correctness).
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHES: dict[str, list[str]] = {
    "analysis_lexicon": ["bench.analysis", "lexicon"],
    "analysis_embedding": ["bench.analysis", "embedding"],
    "llm": ["bench.llm"],
    "ingest": ["bench.ingest"],
    "results_list": ["bench.results_list"],
    "schedules": ["bench.schedules"],
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown bench {unknown}; choose from {list(BENCHES)}", file=sys.stderr)
        return 2
    failed = []
    started = time.perf_counter()
    for name in names:
        module, *args = BENCHES[name]
        result = subprocess.run([sys.executable, "-m", module, *args], check=False)  # noqa: S603
        if result.returncode != 0:
            failed.append(name)
    print(f"# {len(names)} benches in {time.perf_counter() - started:.1f} s; crashed: {failed or 'none'}",
          file=sys.stderr)  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
