"""Evaluation of analyzers on the team-written sets (docs/analysis.md section 3). Pure: no Django.

Sets are JSON lines, one review each::

    {"id": "en-game-017", "domain": "game", "lang": "en", "text": "...", "sentiment3": "negative",
     "sentiment5": "very_negative", "ekman": "anger", "note": "sarcasm"}

A task is evaluated on a set when its gold key is present: ``sentiment3``, ``sentiment5``, ``ekman``
and ``language`` (gold ``lang``; "und" for reviews too short to identify). Examples marked
``"ambiguous": true`` are kept for reading and excluded from every metric.

``evaluate_all`` returns one ``TaskResult`` per (analyzer, set, task) with n, accuracy, macro-F1,
the confusion matrix and reviews/s; ``compare_to_baseline`` lists every macro-F1 that fell below
the stored baseline (the gate test fails on any). ``main`` is a small command line for the
management command to wrap: ``python -m results.analysis.evaluation [--analyzer NAME] [--set NAME]
[--write-baseline]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .types import EKMAN, SENTIMENT3, SENTIMENT5, AnalysisOptions, Analyzer, ReviewInput

EVAL_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "eval"
SET_NAMES = ("en", "multi", "ekman")
TASKS = ("sentiment3", "sentiment5", "ekman", "language")
_GOLD_KEY = {"sentiment3": "sentiment3", "sentiment5": "sentiment5", "ekman": "ekman", "language": "lang"}
_TASK_LABELS: Mapping[str, tuple[str, ...]] = {"sentiment3": SENTIMENT3, "sentiment5": SENTIMENT5, "ekman": EKMAN}
# The analysis options each task runs with; "language" reads the 3-class run (language is always set).
_TASK_OPTIONS: Mapping[str, AnalysisOptions] = {
    "sentiment3": AnalysisOptions(sentiment=True, sentiment_classes=3),
    "sentiment5": AnalysisOptions(sentiment=True, sentiment_classes=5),
    "ekman": AnalysisOptions(sentiment=False, emotions=True, emotion_model="ekman"),
    "language": AnalysisOptions(sentiment=True, sentiment_classes=3),
}


class EvaluationSetError(ValueError):
    """A set file is malformed (bad JSON, missing keys, unknown labels, duplicate ids)."""


@dataclass(frozen=True)
class EvalExample:
    id: str
    text: str
    domain: str
    lang: str
    gold: Mapping[str, str]  # task -> gold label
    ambiguous: bool = False
    note: str = ""


@dataclass(frozen=True)
class TaskResult:
    analyzer: str  # registry name, e.g. "local-fast"
    analyzer_string: str  # versioned string from the output, e.g. "lexicon:vader-3.3.2+patch-v1"
    set_name: str
    task: str
    n: int
    accuracy: float
    macro_f1: float
    reviews_per_second: float
    labels: tuple[str, ...]
    confusion: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # gold -> predicted -> count

    @property
    def key(self) -> str:
        return f"{self.analyzer}/{self.set_name}/{self.task}"


@dataclass(frozen=True)
class Regression:
    key: str
    baseline: float
    measured: float | None  # None: the (analyzer, set, task) was not measured at all


# ---------------------------------------------------------------- loading


def load_set(path: Path) -> list[EvalExample]:
    examples: list[EvalExample] = []
    seen: set[str] = set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise EvaluationSetError(f"{path}:{number}: {exc}") from exc
        for key in ("id", "text", "lang"):
            if not isinstance(row.get(key), str) or not row[key]:
                raise EvaluationSetError(f"{path}:{number}: missing {key!r}")
        if row["id"] in seen:
            raise EvaluationSetError(f"{path}:{number}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        gold = {task: row[key] for task, key in _GOLD_KEY.items() if isinstance(row.get(key), str)}
        for task, label in gold.items():
            if task in _TASK_LABELS and label not in _TASK_LABELS[task]:
                raise EvaluationSetError(f"{path}:{number}: {label!r} is not a {task} label")
        if "sentiment5" in gold and "sentiment3" in gold and _fold(gold["sentiment5"]) != gold["sentiment3"]:
            raise EvaluationSetError(f"{path}:{number}: sentiment5 {gold['sentiment5']!r} does not fold to sentiment3")
        examples.append(
            EvalExample(
                id=row["id"],
                text=row["text"],
                domain=str(row.get("domain", "")),
                lang=row["lang"],
                gold=gold,
                ambiguous=bool(row.get("ambiguous", False)),
                note=str(row.get("note", "")),
            )
        )
    return examples


def load_sets(eval_dir: Path = EVAL_DIR, names: Iterable[str] = SET_NAMES) -> dict[str, list[EvalExample]]:
    return {name: load_set(Path(eval_dir) / f"{name}.jsonl") for name in names}


def _fold(label: str) -> str:
    return {"very_positive": "positive", "very_negative": "negative"}.get(label, label)


# ---------------------------------------------------------------- metrics


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    """Mean per-class F1 over ``labels`` (section 3's definition; a class with no true positive scores 0)."""
    scores = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def confusion_matrix(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """gold -> predicted -> count; predicted labels outside ``labels`` get their own column."""
    columns = list(labels) + sorted({p for p in pred if p not in labels})
    matrix = {g: dict.fromkeys(columns, 0) for g in labels}
    for g, p in zip(gold, pred, strict=True):
        matrix.setdefault(g, dict.fromkeys(columns, 0))[p] += 1
    return matrix


# ---------------------------------------------------------------- running


def _prediction(task: str, analysis: object) -> str:
    if task == "sentiment3":
        return analysis.sentiment.label  # type: ignore[attr-defined]
    if task == "sentiment5":
        scores = analysis.sentiment.scores  # type: ignore[attr-defined]
        return max(SENTIMENT5, key=lambda label: scores[label])
    if task == "ekman":
        return analysis.emotions.primary  # type: ignore[attr-defined]
    return analysis.language  # type: ignore[attr-defined]


def _analyzer_string(task: str, analysis: object) -> str:
    block = analysis.emotions if task == "ekman" else analysis.sentiment  # type: ignore[attr-defined]
    return block.analyzer if block is not None else ""


def evaluate(
    name: str,
    analyzer: Analyzer,
    set_name: str,
    examples: Sequence[EvalExample],
    tasks: Iterable[str] = TASKS,
    *,
    timer: Callable[[], float] = time.perf_counter,
) -> list[TaskResult]:
    """Run ``analyzer`` once per distinct option set and score every task the set has gold labels for."""
    usable = [e for e in examples if not e.ambiguous]
    results: list[TaskResult] = []
    runs: dict[AnalysisOptions, tuple[list[object], float]] = {}
    for task in tasks:
        subset = [e for e in usable if task in e.gold]
        if not subset:
            continue
        options = _TASK_OPTIONS[task]
        if options not in runs:
            batch = [ReviewInput(id=e.id, text=e.text) for e in usable]
            started = timer()
            analyses = analyzer.analyze(batch, options)
            runs[options] = (list(analyses), timer() - started)
        analyses, elapsed = runs[options]
        by_id = {a.id: a for a in analyses}  # type: ignore[attr-defined]
        gold = [e.gold[task] for e in subset]
        pred = [_prediction(task, by_id[e.id]) for e in subset]
        labels = _TASK_LABELS.get(task) or tuple(sorted(set(gold)))
        results.append(
            TaskResult(
                analyzer=name,
                analyzer_string=_analyzer_string(task, by_id[subset[0].id]),
                set_name=set_name,
                task=task,
                n=len(subset),
                accuracy=round(accuracy(gold, pred), 4),
                macro_f1=round(macro_f1(gold, pred, labels), 4),
                reviews_per_second=round(len(usable) / elapsed, 1) if elapsed > 0 else math.inf,
                labels=tuple(labels),
                confusion=confusion_matrix(gold, pred, labels),
            )
        )
    return results


def evaluate_all(
    analyzers: Mapping[str, Analyzer],
    sets: Mapping[str, Sequence[EvalExample]],
    *,
    timer: Callable[[], float] = time.perf_counter,
) -> list[TaskResult]:
    results = []
    for name, analyzer in analyzers.items():
        for set_name, examples in sets.items():
            results.extend(evaluate(name, analyzer, set_name, examples, timer=timer))
    return results


# ---------------------------------------------------------------- baseline


def baseline_from(results: Iterable[TaskResult]) -> dict[str, object]:
    """The JSON document stored as baseline.json (macro-F1 is what the gate compares)."""
    return {
        "note": "macro-F1 per analyzer/set/task must not drop below these values (docs/analysis.md section 3)",
        "results": {
            r.key: {
                "analyzer": r.analyzer_string,
                "n": r.n,
                "accuracy": r.accuracy,
                "macro_f1": r.macro_f1,
                "reviews_per_second": r.reviews_per_second,
            }
            for r in results
        },
    }


def load_baseline(path: Path) -> dict[str, float]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {key: float(row["macro_f1"]) for key, row in data["results"].items()}


def compare_to_baseline(results: Iterable[TaskResult], baseline: Mapping[str, float]) -> list[Regression]:
    """Every baseline entry whose macro-F1 was not reached (or not measured)."""
    measured = {r.key: r.macro_f1 for r in results}
    regressions = []
    for key, expected in sorted(baseline.items()):
        value = measured.get(key)
        if value is None or value + 1e-9 < expected:
            regressions.append(Regression(key, expected, value))
    return regressions


# ---------------------------------------------------------------- reporting


def format_table(results: Iterable[TaskResult]) -> str:
    rows = [("analyzer", "set", "task", "n", "accuracy", "macro-F1", "reviews/s", "analyzer string")]
    for r in results:
        rows.append(
            (
                r.analyzer,
                r.set_name,
                r.task,
                str(r.n),
                f"{r.accuracy:.3f}",
                f"{r.macro_f1:.3f}",
                f"{r.reviews_per_second:.0f}",
                r.analyzer_string,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |" for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def format_confusion(result: TaskResult) -> str:
    columns = list(next(iter(result.confusion.values())).keys()) if result.confusion else []
    width = max([len(c) for c in columns] + [len(g) for g in result.confusion] + [4])
    lines = [
        f"{result.key} (rows gold, columns predicted)",
        " " * width + " " + " ".join(c.rjust(width) for c in columns),
    ]
    for gold, row in result.confusion.items():
        lines.append(gold.rjust(width) + " " + " ".join(str(row.get(c, 0)).rjust(width) for c in columns))
    return "\n".join(lines)


# ---------------------------------------------------------------- fitting the lexicon's spread


def fit_lexicon_spread(
    examples: Sequence[EvalExample],
    classes: int,
    grid: Sequence[float] = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1.0),
    extra_grid: Sequence[float] = (0.0, 0.25, 0.5, 1.0, 1.5),
) -> tuple[float, float, float]:
    """Grid search (s0, s_mix, s_neu) for the lowest mean log-loss of the lexicon's class distribution."""
    from . import lexicon

    task = "sentiment5" if classes == 5 else "sentiment3"
    scored = [(lexicon.score_text(e.text), e.gold[task]) for e in examples if task in e.gold and not e.ambiguous]
    best: tuple[float, tuple[float, float, float]] = (math.inf, (0.0, 0.0, 0.0))
    for s0 in grid:
        for s_mix in extra_grid:
            for s_neu in extra_grid:
                loss = 0.0
                for text_score, gold in scored:
                    p = lexicon.class_distribution(
                        text_score.score, text_score.disagreement, text_score.neutral_share, classes, (s0, s_mix, s_neu)
                    )[gold]
                    loss -= math.log(max(p, 1e-12))
                loss /= max(1, len(scored))
                if loss < best[0]:
                    best = (loss, (s0, s_mix, s_neu))
    return best[1]


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    from .registry import get_analyzer

    parser = argparse.ArgumentParser(prog="python -m results.analysis.evaluation")
    parser.add_argument("--analyzer", action="append", choices=("local-fast", "local"), help="default: both")
    parser.add_argument("--set", action="append", choices=SET_NAMES, dest="sets", help="default: all")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--write-baseline", action="store_true", help="write <eval-dir>/baseline.json")
    parser.add_argument("--confusion", action="store_true", help="also print confusion matrices")
    args = parser.parse_args(argv)
    names = args.analyzer or ["local-fast", "local"]
    sets = load_sets(args.eval_dir, args.sets or SET_NAMES)
    started = time.perf_counter()
    results = evaluate_all({name: get_analyzer(name) for name in names}, sets)
    out.write(format_table(results) + "\n")
    if args.confusion:
        for result in results:
            out.write("\n" + format_confusion(result) + "\n")
    out.write(f"\ntotal {time.perf_counter() - started:.1f} s\n")
    baseline_path = Path(args.eval_dir) / "baseline.json"
    if args.write_baseline:
        baseline_path.write_text(json.dumps(baseline_from(results), indent=1) + "\n", encoding="utf-8")
        out.write(f"wrote {baseline_path}\n")
        return 0
    if baseline_path.exists():
        regressions = compare_to_baseline(
            results,
            {
                k: v
                for k, v in load_baseline(baseline_path).items()
                if k.split("/")[0] in names and k.split("/")[1] in sets
            },
        )
        for regression in regressions:
            out.write(f"REGRESSION {regression.key}: {regression.measured} < baseline {regression.baseline}\n")
        return 1 if regressions else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
