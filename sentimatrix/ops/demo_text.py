"""Review texts for the demo tenant: plausible, varied, deterministic. Pure: no Django.

Each platform has its own voice (a game on Steam, earbuds on Amazon, a review video's comments,
a subreddit thread, a café on Google Maps, an online shop on Trustpilot and Yelp). A review is
built from an opening, one or two aspect sentences and a closing of the intended sentiment, so
the offline analyzer has real text to work on and gets most of it right, not all of it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Voice:
    subject: str
    aspects: tuple[str, ...]
    positive: tuple[str, ...]
    neutral: tuple[str, ...]
    negative: tuple[str, ...]


_GENERIC_POS = ("Absolutely love it.", "Really impressed overall.", "Would recommend to anyone.", "Great value.")
_GENERIC_NEU = ("It is okay, nothing special.", "Does what it says.", "Mixed feelings so far.", "Average experience.")
_GENERIC_NEG = ("Very disappointed.", "Would not recommend.", "Waste of money.", "Frustrating experience.")

VOICES: dict[str, Voice] = {
    "steam": Voice(
        "the game",
        ("combat", "story", "performance", "soundtrack", "multiplayer", "the latest patch", "level design"),
        (
            "The {a} is fantastic and keeps me playing for hours.",
            "Beautiful world, the {a} blew me away.",
            "Devs actually listen, the {a} got so much better.",
        ),
        (
            "The {a} is fine but could use more polish.",
            "Played 20 hours, the {a} is decent.",
            "Not sure about the {a} yet, need more time.",
        ),
        (
            "The {a} is broken and crashes constantly.",
            "Refunded after the {a} ruined my save.",
            "Terrible optimization, the {a} stutters on a good PC.",
        ),
    ),
    "amazon": Voice(
        "these earbuds",
        ("battery life", "sound quality", "noise cancelling", "fit", "the charging case", "Bluetooth connection"),
        (
            "The {a} is excellent for the price.",
            "Amazing {a}, exceeded my expectations.",
            "Five stars, the {a} is superb.",
        ),
        ("The {a} is acceptable, nothing more.", "The {a} works as described.", "Three stars: the {a} is average."),
        ("The {a} died after two weeks.", "Awful {a}, returned them.", "The {a} keeps failing, poor quality."),
    ),
    "youtube": Voice(
        "this video",
        ("editing", "explanation", "camera work", "comparison", "audio", "intro"),
        ("Great {a}, super helpful, thanks!", "Best {a} on this topic, subscribed.", "Love the {a}, very clear."),
        ("The {a} is okay but a bit long.", "Interesting {a}, still deciding.", "Decent {a} overall."),
        (
            "The {a} is misleading and full of ads.",
            "Horrible {a}, could not finish it.",
            "Clickbait, the {a} is useless.",
        ),
    ),
    "reddit": Voice(
        "this thread",
        ("recommendation", "budget pick", "driver upgrade", "EQ preset", "the FAQ"),
        (
            "Great {a}, exactly what I needed.",
            "Thanks, the {a} is spot on and helpful.",
            "Happy with the {a}, sounds wonderful.",
        ),
        ("The {a} is fine, depends on your ears.", "Neutral on the {a} honestly.", "The {a} is a matter of taste."),
        ("The {a} is bad advice, avoid.", "Hated the {a}, sounded terrible.", "The {a} is overhyped garbage."),
    ),
    "google": Voice(
        "this café",
        ("coffee", "staff", "pastries", "wifi", "atmosphere", "prices", "wait time"),
        ("The {a} is lovely, friendly and cozy.", "Best {a} in town, we love it.", "Wonderful {a}, will be back."),
        ("The {a} is alright.", "The {a} is standard for the area.", "Average {a}, nothing memorable."),
        ("The {a} was rude and slow.", "Terrible {a}, cold and overpriced.", "Awful {a}, never again."),
    ),
    "trustpilot": Voice(
        "this shop",
        ("delivery", "customer service", "refund process", "packaging", "website"),
        ("Fast {a}, great service.", "Excellent {a}, very happy.", "The {a} was smooth and friendly."),
        ("The {a} was okay.", "Average {a}, took a while.", "The {a} was as expected."),
        ("The {a} was a nightmare, still waiting.", "Horrible {a}, scam.", "Worst {a} ever, avoid."),
    ),
    "yelp": Voice(
        "this place",
        ("service", "menu", "ambience", "parking", "portions"),
        ("Amazing {a}, loved every minute.", "Great {a} and friendly people.", "The {a} is fantastic."),
        ("The {a} is average.", "Okay {a}, might return.", "Nothing special about the {a}."),
        ("Terrible {a}, rude staff.", "The {a} was awful and dirty.", "Disappointing {a}, overpriced."),
    ),
}


def review_text(rng: random.Random, platform: str, sentiment: str) -> tuple[str, str]:
    """(title, text) for one review of ``sentiment`` on ``platform``."""
    voice = VOICES[platform]
    templates = {"positive": voice.positive, "neutral": voice.neutral, "negative": voice.negative}[sentiment]
    generic = {"positive": _GENERIC_POS, "neutral": _GENERIC_NEU, "negative": _GENERIC_NEG}[sentiment]
    aspects = rng.sample(voice.aspects, k=2)
    sentences = [rng.choice(templates).format(a=aspects[0])]
    if rng.random() < 0.6:
        sentences.append(rng.choice(templates).format(a=aspects[1]))
    sentences.append(rng.choice(generic))
    title = sentences[0].split(",")[0].rstrip(".")[:80]
    return title, " ".join(sentences)


def sentiment_for(
    rng: random.Random, day: int, *, base: tuple[float, float, float], dip: tuple[int, int] | None
) -> str:
    """Draw a sentiment for a review posted ``day`` days ago; inside ``dip`` negatives triple."""
    positive, neutral, negative = base
    if dip is not None and dip[0] >= day >= dip[1]:
        negative *= 3
    total = positive + neutral + negative
    draw = rng.random() * total
    if draw < positive:
        return "positive"
    if draw < positive + neutral:
        return "neutral"
    return "negative"


def rating_for(rng: random.Random, sentiment: str) -> float:
    return float({"positive": rng.choice((4, 5, 5)), "neutral": 3, "negative": rng.choice((1, 1, 2))}[sentiment])
