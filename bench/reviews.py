"""Deterministic generated reviews of realistic lengths (no network, no fixtures to ship).

Lengths follow a log-normal word count (median about 35 words, a long tail past 300), which is the
shape of marketplace and app-store reviews: many one-liners, a few essays. Sentences are drawn from
praise, complaint and neutral templates with slot fillers, so texts carry real sentiment and are
(almost surely) all distinct, which matters for caches keyed on text.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

SEED = 20261123

_THINGS = (
    "battery", "screen", "keyboard", "speaker", "camera", "charger", "case", "strap", "fan", "motor",
    "blade", "handle", "lid", "zipper", "cable", "app", "remote", "filter", "pump", "lens",
    "controller", "story", "soundtrack", "level design", "multiplayer", "room", "breakfast", "staff",
    "delivery", "packaging", "manual", "price", "warranty", "support team", "checkout",
)  # fmt: skip
_GOOD = (
    "excellent", "great", "solid", "fantastic", "reliable", "sturdy", "lovely", "impressive",
    "comfortable", "fast", "quiet", "bright", "smooth", "helpful", "worth every penny",
)  # fmt: skip
_BAD = (
    "terrible", "flimsy", "awful", "disappointing", "slow", "noisy", "cheap", "broken", "useless",
    "overpriced", "buggy", "rude", "dim", "confusing", "a waste of money",
)  # fmt: skip
_PRAISE = (
    "The {t} is {g}.",
    "I really love the {t}, it is {g} and works perfectly.",
    "Honestly the {t} exceeded my expectations.",
    "After {n} weeks the {t} still feels {g}.",
    "My kids enjoyed it a lot and the {t} is {g}!",
    "Would definitely recommend, the {t} alone makes it worth it.",
    "Five stars for the {t}.",
    "Setup took {n} minutes and everything just worked.",
)
_COMPLAINT = (
    "The {t} is {b}.",
    "Sadly the {t} stopped working after {n} days.",
    "I hate how {b} the {t} feels.",
    "Not happy with the {t} at all, it is {b}.",
    "The {t} broke within a week and support never answered.",
    "Do not buy this, the {t} is {b}.",
    "Returned it because the {t} was {b}.",
    "It isn't good, the {t} keeps failing.",
)
_NEUTRAL = (
    "I bought it for my {r} last {m}.",
    "The {t} comes in {n} colours.",
    "It arrived on a {d} in a plain box.",
    "I have used it {n} times so far.",
    "We compared it with two other models before ordering.",
    "The {t} is about {n} centimetres long.",
    "I use it mostly at the weekend.",
)
_RELATIVES = ("son", "daughter", "wife", "husband", "office", "father", "mother", "flat", "team")
_MONTHS = ("January", "March", "May", "July", "September", "November", "spring", "winter")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TITLES_GOOD = ("Great value", "Love it", "Works as described", "Better than expected", "Solid buy")
_TITLES_BAD = ("Broke in a week", "Disappointed", "Avoid", "Not worth it", "Poor quality")


@dataclass(frozen=True)
class GeneratedReview:
    id: str
    title: str
    text: str
    rating: int
    words: int


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        t=rng.choice(_THINGS),
        g=rng.choice(_GOOD),
        b=rng.choice(_BAD),
        n=rng.randint(2, 60),
        r=rng.choice(_RELATIVES),
        m=rng.choice(_MONTHS),
        d=rng.choice(_DAYS),
    )


def target_words(rng: random.Random) -> int:
    """Log-normal word count: median 35, about 10 % over 120 words, capped at 600."""
    return max(3, min(600, int(round(math.exp(rng.gauss(math.log(35), 0.95))))))


def generate(count: int, seed: int = SEED) -> list[GeneratedReview]:
    rng = random.Random(seed)
    out: list[GeneratedReview] = []
    seen: set[str] = set()
    while len(out) < count:
        index = len(out)
        rating = rng.choices((1, 2, 3, 4, 5), weights=(12, 8, 10, 25, 45))[0]
        # The rating sets the mix of praise and complaints, with some mixed feelings on every review.
        p_good = {1: 0.1, 2: 0.25, 3: 0.45, 4: 0.75, 5: 0.9}[rating]
        want = target_words(rng)
        sentences: list[str] = []
        words = 0
        while words < want:
            roll = rng.random()
            if roll < 0.2:
                template = rng.choice(_NEUTRAL)
            elif roll < 0.2 + 0.8 * p_good:
                template = rng.choice(_PRAISE)
            else:
                template = rng.choice(_COMPLAINT)
            sentence = _fill(template, rng)
            sentences.append(sentence)
            words += len(sentence.split())
        text = " ".join(sentences)
        if want < 8:  # one-liners are cut short, as people write them
            text = " ".join(text.split()[:want])
        if text in seen:  # every text distinct, so no cache keyed on text flatters the pipeline
            continue
        seen.add(text)
        title = ""
        if rng.random() < 0.6:
            title = rng.choice(_TITLES_GOOD if rating >= 4 else _TITLES_BAD if rating <= 2 else ("Okay", "Mixed"))
        out.append(GeneratedReview(f"r{index:06d}", title, text, rating, len(text.split())))
    return out


def length_summary(reviews: list[GeneratedReview]) -> dict[str, float]:
    words = sorted(r.words for r in reviews)
    n = len(words)
    return {
        "reviews": n,
        "words_p50": words[n // 2],
        "words_p90": words[int(n * 0.9)],
        "words_max": words[-1],
        "words_mean": round(sum(words) / n, 1),
    }
