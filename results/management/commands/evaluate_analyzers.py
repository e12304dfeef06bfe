"""``manage.py evaluate_analyzers``: accuracy and macro-F1 per analyzer, set and task (offline).

Wraps ``results.analysis.evaluation`` (docs/analysis.md section 3). Exit status 1 when a macro-F1
falls below ``tests/fixtures/eval/baseline.json`` (the same gate as ``tests/results/analysis/
test_eval_gate.py``). ``--json`` prints the rows as JSON instead of the table.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from results.analysis import evaluation
from results.analysis.registry import get_analyzer

OFFLINE = ("local-fast", "local")
# The names the docs use for the tiers, accepted as aliases.
ALIASES = {"lexicon": "local-fast", "embed": "local"}


class Command(BaseCommand):
    help = "Evaluate the offline analyzers on the team-written sets; print accuracy and macro-F1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--analyzer", action="append", choices=[*OFFLINE, *ALIASES], help="repeatable; default: all offline"
        )
        parser.add_argument("--set", action="append", dest="sets", choices=evaluation.SET_NAMES, help="default: all")
        parser.add_argument("--eval-dir", type=Path, default=evaluation.EVAL_DIR)
        parser.add_argument("--json", action="store_true", help="print JSON rows instead of the table")
        parser.add_argument("--confusion", action="store_true", help="also print confusion matrices")
        parser.add_argument("--write-baseline", action="store_true", help="write <eval-dir>/baseline.json")
        parser.add_argument("--no-gate", action="store_true", help="do not compare with the baseline")

    def handle(self, *args: Any, **options: Any) -> None:
        names = list(dict.fromkeys(ALIASES.get(n, n) for n in (options["analyzer"] or OFFLINE)))
        set_names = options["sets"] or list(evaluation.SET_NAMES)
        eval_dir: Path = options["eval_dir"]
        try:
            sets = evaluation.load_sets(eval_dir, set_names)
        except (OSError, evaluation.EvaluationSetError) as exc:
            raise CommandError(f"cannot read the evaluation sets: {exc}") from exc
        started = time.perf_counter()
        results = evaluation.evaluate_all({name: get_analyzer(name) for name in names}, sets)
        elapsed = time.perf_counter() - started
        if options["json"]:
            rows = [
                {
                    "analyzer": r.analyzer, "set": r.set_name, "task": r.task, "n": r.n, "accuracy": r.accuracy,
                    "macro_f1": r.macro_f1, "reviews_per_second": r.reviews_per_second,
                    "analyzer_string": r.analyzer_string, "confusion": r.confusion,
                }
                for r in results
            ]  # fmt: skip
            self.stdout.write(json.dumps({"results": rows, "seconds": round(elapsed, 1)}, indent=1))
        else:
            self.stdout.write(evaluation.format_table(results))
            if options["confusion"]:
                for result in results:
                    self.stdout.write("\n" + evaluation.format_confusion(result))
            self.stdout.write(f"\ntotal {elapsed:.1f} s")
        baseline_path = eval_dir / "baseline.json"
        if options["write_baseline"]:
            baseline_path.write_text(json.dumps(evaluation.baseline_from(results), indent=1) + "\n", encoding="utf-8")
            self.stderr.write(f"wrote {baseline_path}")
            return
        if options["no_gate"] or not baseline_path.exists():
            return
        baseline = {
            key: value
            for key, value in evaluation.load_baseline(baseline_path).items()
            if key.split("/")[0] in names and key.split("/")[1] in set_names
        }
        regressions = evaluation.compare_to_baseline(results, baseline)
        for regression in regressions:
            self.stderr.write(f"REGRESSION {regression.key}: {regression.measured} < baseline {regression.baseline}")
        if regressions:
            raise CommandError(f"{len(regressions)} macro-F1 figure(s) below the baseline")
