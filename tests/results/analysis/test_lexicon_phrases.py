"""The phrase pass with its literal pre-check gives exactly what running every rule's ``re.sub`` gives.

``reference_apply_phrases`` below is the straightforward pass the analyzer used before the pre-check
(bench analysis_lexicon); it stays here as the definition of the expected output. Pure: no database.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pytest

from results.analysis import keywords as kw
from results.analysis import lexicon
from results.analysis.lexicon_patch import PHRASE_RULES

EVAL_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "eval"


def reference_apply_phrases(text: str) -> str:
    for rule in PHRASE_RULES:
        text = rule.pattern.sub(f" {rule.token} ", text)
    return text


def eval_texts() -> list[str]:
    texts = []
    for path in sorted(EVAL_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.extend(value for key in ("title", "text") if isinstance(value := row.get(key), str))
    return texts


def test_eval_sets_texts_and_sentences_are_unchanged() -> None:
    texts = eval_texts()
    assert len(texts) >= 340  # en 160 + multi 77 + ekman 106
    pieces = texts + [sentence for text in texts for sentence in kw.split_sentences(text)]
    changed = 0
    for piece in pieces:
        expected = reference_apply_phrases(piece)
        assert lexicon.apply_phrases(piece) == expected, piece
        changed += expected != piece
    # The comparison means something only if many rules actually fire on these texts.
    assert changed >= 80


def test_case_variants_of_the_eval_sets_are_unchanged() -> None:
    for text in eval_texts():
        for variant in (text.upper(), text.swapcase(), text.title()):
            assert lexicon.apply_phrases(variant) == reference_apply_phrases(variant), variant


@pytest.mark.parametrize(
    "text",
    [
        "WOULD NOT RECOMMEND. Never Again!",
        "doesn't work, then it STOPPED WORKING and never arrived",
        # characters IGNORECASE matches to ASCII letters although str.lower() does not give them
        "Dıdn't work at all. ſtay away. Not worth it. I'll be bac\u212a. İ won't recommend",
        "not bad at all, not that bad, can't complain, 5 stars, 10/10, one star, cash-grab, rip off",
        "wasted so much of my time; don't bother; must-have; hands down; had a blast; mixed feelings",
        "smells like roses, looks like new, never replied, no response, still no answer, broke after a week",
        "",
        "   ",
    ],
)
def test_hand_written_cases_are_unchanged(text: str) -> None:
    assert lexicon.apply_phrases(text) == reference_apply_phrases(text)


def test_random_mixes_of_rule_words_are_unchanged() -> None:
    # Sentences made of the rules' own words in random order and case, so rules overlap and one
    # rule's replacement sits next to another rule's words.
    words = sorted({w for rule in PHRASE_RULES for w in re.findall(r"[a-z0-9']+", rule.pattern.pattern)})
    words += ["phr_not_worth", "\u0131", "\u017f", "\u212a", "\u0130", "10/10", "-", "."]
    rng = random.Random(20261123)
    for _ in range(3000):
        picked = [rng.choice(words) for _ in range(rng.randint(1, 12))]
        picked = [w.upper() if rng.random() < 0.2 else w for w in picked]
        text = " ".join(picked)
        assert lexicon.apply_phrases(text) == reference_apply_phrases(text), text


def test_every_rule_has_a_pre_check() -> None:
    # A rule without one still runs (correct, only slower); this says when a new rule loses the speed-up.
    assert [rule.name for rule, _, literals in lexicon._PHRASE_PLAN if literals is None] == []


def test_fold_table_covers_every_character_ignorecase_matches_to_ascii() -> None:
    ascii_class = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    others = "".join(chr(code) for code in range(0x80, sys.maxunicode + 1))
    found = {}
    for char in ascii_class.findall(others):
        (ascii_char,) = [c for c in map(chr, range(0x80)) if re.fullmatch(re.escape(c), char, re.IGNORECASE)][:1]
        found[ord(char)] = ascii_char.lower()
    assert found == lexicon._IGNORECASE_ASCII_FOLD
