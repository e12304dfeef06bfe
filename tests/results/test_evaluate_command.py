"""``manage.py evaluate_analyzers`` prints the metrics table or JSON and gates on the baseline."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from results.analysis import evaluation


def test_json_output_for_the_lexicon_tier() -> None:
    out = io.StringIO()
    call_command("evaluate_analyzers", "--analyzer", "lexicon", "--set", "ekman", "--json", stdout=out)
    rows = {(r["analyzer"], r["set"], r["task"]): r for r in json.loads(out.getvalue())["results"]}
    assert set(rows) == {("local-fast", "ekman", "ekman"), ("local-fast", "ekman", "language")}
    row = rows[("local-fast", "ekman", "ekman")]
    baseline = evaluation.load_baseline(evaluation.EVAL_DIR / "baseline.json")["local-fast/ekman/ekman"]
    assert row["n"] == 106 and row["macro_f1"] >= baseline
    assert row["analyzer_string"].startswith("lexicon:emotion-keywords+")
    assert sum(sum(v.values()) for v in row["confusion"].values()) == 106


def test_table_output_and_gate_failure(tmp_path) -> None:
    for name in ("en", "multi", "ekman"):
        (tmp_path / f"{name}.jsonl").write_text((evaluation.EVAL_DIR / f"{name}.jsonl").read_text())
    (tmp_path / "baseline.json").write_text(json.dumps({"results": {"local-fast/ekman/ekman": {"macro_f1": 0.999}}}))
    out = io.StringIO()
    with pytest.raises(CommandError, match="below the baseline"):
        call_command(
            "evaluate_analyzers", "--analyzer", "local-fast", "--set", "ekman", "--eval-dir", str(tmp_path),
            stdout=out, stderr=io.StringIO(),
        )  # fmt: skip
    assert "| local-fast | ekman | ekman" in out.getvalue()
