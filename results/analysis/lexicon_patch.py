"""Our own, versioned additions to VADER for review text (docs/analysis.md section 2.4).

Everything here is data written by the team, not copied from a published lexicon (the Hu & Liu and
NRC lists have licences we cannot ship). Bump ``PATCH_VERSION`` whenever any table changes: the
version is part of every analyzer string, so stored results say which patch wrote them, and the
evaluation gate (``tests/results/analysis/test_analysis_eval_gate.py``) must not drop.

Valences use VADER's scale (about -4..+4; VADER's own "good" is 1.9, "great" 3.1, "bad" -2.5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PATCH_VERSION = "patch-v1"

# Review vocabulary VADER's tweet lexicon lacks, plus false friends set to a review-appropriate value.
WORD_VALENCES: Mapping[str, float] = {
    # build and quality
    "sturdy": 1.8, "durable": 1.8, "well-made": 2.0, "well-built": 2.0, "solidly": 1.2, "reliable": 1.8,
    "dependable": 1.8, "roomy": 1.2, "comfy": 1.8, "cosy": 1.6, "cozy": 1.6, "spotless": 2.2, "seamless": 1.6,
    "intuitive": 1.6, "snappy": 1.3, "responsive": 1.2, "crisp": 1.0, "decent": 1.0, "tasty": 2.0,
    "delicious": 2.7, "breathtaking": 2.8, "gem": 2.2, "masterpiece": 3.0, "must-have": 2.3,
    "flimsy": -1.9, "overpriced": -2.0, "pricey": -0.8, "leaks": -1.6, "leaking": -1.6, "leaky": -1.6,
    "defective": -2.2, "faulty": -2.2, "cheaply": -1.4, "junk": -2.4, "garbage": -2.6, "trash": -2.4,
    "rubbish": -2.3, "knockoff": -1.8, "counterfeit": -2.0, "dented": -1.4, "cracked": -1.5,
    "scratched": -1.2, "stained": -1.5, "snapped": -1.4, "rattles": -1.0, "rattled": -1.0, "rattling": -1.0,
    "overheats": -1.7, "overheated": -1.7, "overheating": -1.7, "unusable": -2.4, "unreliable": -1.9,
    "clunky": -1.5, "tedious": -1.5, "finicky": -1.3, "wobbly": -1.3, "wobbles": -1.2,
    # software and games
    "laggy": -1.9, "lags": -1.5, "lagging": -1.5, "buggy": -1.9, "glitchy": -1.8, "glitch": -1.2,
    "glitches": -1.4, "crashes": -1.9, "crashed": -1.8, "crashing": -1.9, "freezes": -1.7, "froze": -1.6,
    "stutters": -1.4, "stuttering": -1.4, "disconnects": -1.4, "unplayable": -2.6, "unwatchable": -2.6,
    "bricked": -2.6, "grindy": -1.5, "paywall": -1.6, "paywalls": -1.6, "microtransactions": -1.3,
    "cheaters": -1.8, "floaty": -1.0, "imprecise": -1.2, "clickbait": -1.9, "outdated": -1.2,
    "rushes": -0.8, "rushed": -1.0, "predatory": -2.3, "boring": -1.8,
    # places and food
    "filthy": -2.6, "bland": -1.4, "stale": -1.5, "soggy": -1.5, "greasy": -1.2, "rundown": -1.4,
    "run-down": -1.4, "moldy": -2.2, "mouldy": -2.2, "noisy": -1.2, "cramped": -1.3, "smelly": -1.8,
    "nightmare": -2.2, "unsafe": -2.2, "scammers": -2.7, "yuck": -2.0, "revolting": -2.8,
    # service
    "refund": -0.6, "refunded": -0.5, "unhelpful": -1.8, "unanswered": -1.5, "unreachable": -1.6,
    # false friends: product nouns and phrases that VADER scores as opinions
    "support": 0.0, "supports": 0.0, "supported": 0.0,  # "customer support", "supports Bluetooth"
    "cancelling": 0.0, "canceling": 0.0,  # "noise cancelling"
    "crushes": 0.0, "crush": 0.0,  # "crushes ice"
    "fire": -0.4,  # "fire exit", "fire TV"; "caught fire" is handled as a phrase below
    "free": 0.8,  # "gluten-free", "free on Sundays": mildly positive at most
    "okay": 0.3, "ok": 0.3,  # "it's okay" is a shrug in a review, not praise
    "fine": 0.5,
    "mixed": 0.0,
    "joke": -0.6,  # "this game is a joke"
    "insane": 0.0, "sick": -0.8,  # slang praise in game and video reviews
    "no": 0.0,  # VADER gives bare "no" -1.2, which tips factual "No Linux version yet" negative
    "play": 0.0, "played": 0.0, "playing": 0.0, "plays": 0.0,  # "played 4 hours" (VADER: play +1.4)
    "save": 0.4, "progress": 0.3,  # "save files", "lost 40 hours of progress"
    "sure": 0.2,  # "not sure which is current" is doubt, not a complaint
    "care": 0.8,  # "customer care", "didn't care"
}  # fmt: skip


@dataclass(frozen=True)
class PhraseRule:
    """A multi-word expression VADER cannot see, since it scores one word at a time.

    The regex pass replaces each match with ``token`` (added to the lexicon with ``valence``)
    before VADER runs, so VADER's own boosters, caps and "but" weighting still apply.
    Negators inside the phrase are consumed by the match, so VADER does not flip it again.
    """

    name: str
    pattern: re.Pattern[str]
    valence: float

    @property
    def token(self) -> str:
        return f"phr_{self.name}"


def _rule(name: str, pattern: str, valence: float) -> PhraseRule:
    return PhraseRule(name, re.compile(pattern, re.IGNORECASE), valence)


_NEG_AUX = r"(?:do\s*n[o']?t|don'?t|didn'?t|did\s+not|does\s*n[o']?t|doesn'?t|never|won'?t|will\s+not)"
_NO_REPLY = (
    r"(?:replied|responded|answered|got\s+back|get\s+back|called\s+back|reply|respond|answer|responding|replying)"
)

PHRASE_RULES: tuple[PhraseRule, ...] = (
    # Negated negatives and negated positives that VADER gets wrong or too weak.
    _rule("dont_waste", rf"\b{_NEG_AUX}\s+(?:even\s+)?(?:waste|bother)\b(?:\s+(?:your|my|the|any)\b)?"
          r"(?:\s+(?:money|time|cash))?", -3.0),
    _rule("waste_of", r"\bwast(?:e|ed|ing)\s+(?:of\s+)?(?:\S+\s+){0,4}?(?:money|time|cash|life|effort)\b", -2.6),
    _rule("not_bad_at_all", r"\bnot\s+(?:bad|terrible|awful)\s+at\s+all\b", 2.2),
    _rule("not_that_bad", r"\bnot\s+(?:as|that|too|so|half)\s+bad\b", 1.0),
    _rule("cant_complain", r"\b(?:can'?t|cannot|can\s+not|couldn'?t)\s+complain\b|\b(?:no|zero)\s+complaints\b", 1.8),
    _rule("never_disappoints", r"\b(?:never|doesn'?t|does\s+not|didn'?t|did\s+not)\s+disappoint(?:s|ed)?\b", 2.4),
    _rule("not_recommend", r"\b(?:would\s*n[o']?t|wouldn'?t|do\s*n[o']?t|don'?t|can'?t|cannot|could\s*n[o']?t|couldn'?t"
          r"|won'?t|will\s+not|never)\s+recommend\b", -2.4),
    _rule("not_worth", r"\b(?:not|isn'?t|wasn'?t|aren'?t)\s+worth\b", -1.9),
    _rule("worth_every", r"\bworth\s+every\s+(?:penny|cent|dollar|euro|minute|second)\b", 2.6),
    _rule("not_work", r"\b(?:doesn'?t|does\s+not|didn'?t|did\s+not|don'?t|do\s+not|won'?t|will\s+not|isn'?t|not)"
          r"\s+(?:even\s+)?work(?:ing|s)?\b|\bno\s+longer\s+works?\b", -1.9),
    _rule("stopped_working", r"\b(?:stopped|stops|quit|quits|ceased)\s+(?:working|charging|functioning|turning\s+on)\b",
          -2.3),
    _rule("no_reply", rf"\b(?:never|nobody|no\s+one|haven'?t|hasn'?t|didn'?t|did\s+not|have\s+not|has\s+not|still\s+no"
          rf"|not)\s+(?:once\s+|even\s+|yet\s+)?{_NO_REPLY}\b|\bno\s+(?:reply|response|answer)\b", -2.2),
    _rule("never_arrived", r"\bnever\s+(?:arrived|came|showed\s+up|delivered|shipped|received)\b", -2.3),
    _rule("nothing_special", r"\bnothing\s+(?:special|remarkable|memorable)\b", -0.3),
    _rule("fell_apart", r"\b(?:fell|falls|falling|fall)\s+apart\b|\bbroke\s+(?:down|within|after|on)\b"
          r"|\bdead\s+on\s+arrival\b|\bcaught\s+fire\b", -2.4),
    _rule("barely_works", r"\bbarely\s+(?:works?|lasts?|holds?|charges?|functions?)\b", -1.9),
    _rule("too_adjective",
          r"\btoo\s+(?:short|small|expensive|pricey|slow|long|loud|heavy|noisy|flimsy|big|tight)\b", -1.2),
    _rule("out_of_sync", r"\bout\s+of\s+sync\b", -1.5),
    _rule("cash_grab", r"\bcash\s*-?\s*grab\b|\bpay\s*-?\s*to\s*-?\s*win\b|\brip\s*-?\s*off\b", -2.5),
    _rule("stay_away", r"\bstay\s+away\b|\bavoid\s+at\s+all\s+costs\b|\bnever\s+again\b", -2.6),
    _rule("must_buy", r"\bmust\s*-?\s*(?:buy|have|play|watch|see|visit)\b", 2.4),
    _rule("five_stars", r"\b(?:five|5)\s+stars?\b|\b(?:ten|10)\s+(?:out\s+of|/)\s*(?:ten|10)\b", 2.4),
    _rule("one_star", r"\b(?:one|1|zero|0)\s+stars?\b", -2.4),
    _rule("above_and_beyond", r"\babove\s+and\s+beyond\b|\bhidden\s+gem\b|\bhands\s+down\b", 2.4),
    _rule("be_back", r"\b(?:will|we'?ll|i'?ll|would|'ll)\s+(?:definitely\s+|surely\s+|certainly\s+)?"
          r"(?:be\s+back|come\s+back|return|buy\s+(?:it\s+)?again|order\s+again)\b", 2.0),
    _rule("had_a_blast", r"\bhad\s+a\s+blast\b", 2.6),
    _rule("mixed_feelings", r"\bmixed\s+(?:feelings|bag)\b|\bevens\s+out\b|\bjury'?s\s+(?:still\s+)?out\b", 0.0),
    # "smells like", "looks like": the preposition is not the verb "like" (VADER +1.5); the sense verb
    # carries no valence, so the whole expression becomes one neutral token
    _rule("like_prep", r"\b(?:smells?|smelled|looks?|looked|feels?|felt|sounds?|sounded|tastes?|tasted|seems?|seemed)"
          r"\s+like\b", 0.0),
)  # fmt: skip


# Emotion keywords by GoEmotions label (the finest taxonomy we support); Ekman and Plutchik are
# derived with the mappings below. Each entry is a regex fragment matched at a word start.
EMOTION_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "admiration": ("impressive", "impressed", "brilliant", "masterpiece", "stunning", "beautiful", "gorgeous",
                   "superb", "excellent", "outstanding", "amazing", "incredible", "fantastic", "genius", "respect"),
    "amusement": ("funny", "hilarious", "lol", "haha", "laugh", "laughed", "laughing", "amusing", "lmao", "comedy"),
    "anger": ("angry", "furious", "livid", "fuming", "outrage", "outrageous", "rage", "infuriat", "how dare",
              "pissed", "mad at", "drives me mad", "unacceptable", "scammers?", "scam", "rip-?off"),
    "annoyance": ("annoying", "annoyed", "irritat", "frustrat", "fed up", "sick of", "tired of", "ridiculous",
                  "pointless", "rude"),
    "approval": ("recommend", "reliable", "dependable", "trust", "trustworthy", "solid", "decent", "good value",
                 "worth it", "does the job", "works well", "well made", "safe"),
    "caring": ("take care", "took care", "caring", "looked after", "kind staff", "thoughtful", "above and beyond"),
    "confusion": ("confus", "confusing", "no idea", "makes no sense", "unclear", "puzzl", "not sure"),
    "curiosity": ("curious", "wonder(?:ing)? (?:if|whether|how|why)", "interested to", "intrigu"),
    "desire": ("can'?t wait", "wish", "want(?:ed)? (?:to|more)", "looking forward", "would love", "dying to"),
    "disappointment": ("disappoint", "letdown", "let down", "underwhelm", "expected (?:more|better|so much more)",
                       "not as good", "meh"),
    "disapproval": ("not worth", "would not recommend", "wouldn'?t recommend", "avoid", "overpriced", "waste"),
    "disgust": ("disgust", "gross", "revolting", "repulsive", "vile", "nasty", "yuck", "filthy", "sickening",
                "nauseat", "threw up", "rotten", "moldy", "mouldy", "cockroach", "bed ?bugs", "stains?", "stained",
                "sticky", "greasy", "smelly", "stink", "sour"),
    "embarrassment": ("embarrass", "awkward", "ashamed", "cringe", "humiliat"),
    "excitement": ("excited", "exciting", "thrilled", "thrilling", "can'?t stop playing", "hyped", "pumped",
                   "adrenaline", "epic", "wow", "what a night"),
    "fear": ("scared", "scary", "afraid", "terrified", "terrifying", "frighten", "fear", "dangerous", "unsafe",
             "explode", "horror", "jump ?scares?", "panic", "don'?t feel safe", "scream"),
    "gratitude": ("thank", "thanks", "grateful", "appreciate", "saved my"),
    "grief": ("heartbroken", "grief", "grieving", "mourn", "passed away", "devastat"),
    "joy": ("happy", "happiest", "joy", "delight", "delighted", "delightful", "pleased", "smile", "grinning",
            "cheer", "cheerful", "bliss", "enjoy", "enjoying", "enjoyed", "fun", "wonderful", "glad", "relaxed"),
    "love": ("love", "loved", "loving", "adore", "favourite", "favorite", "heavenly"),
    "nervousness": ("nervous", "anxious", "worried", "worrying", "worry", "uneasy", "stress"),
    "optimism": ("hopefully", "hope", "promising", "optimistic", "potential", "fingers crossed", "looking up"),
    "pride": ("proud", "pride", "accomplish"),
    "realization": ("turns out", "realized", "realised", "found out", "figured out", "finally (?:it )?clicks",
                    "it clicks"),
    "relief": ("relief", "relieved", "finally", "phew", "no more"),
    "remorse": ("regret", "sorry", "should have", "shouldn'?t have", "apolog"),
    "sadness": ("sad", "sadly", "unfortunately", "cry", "cried", "tears", "depress", "miserable", "gutted",
                "upset", "lonely", "miss", "heartbreaking", "down about", "feeling down"),
    "surprise": ("surpris", "unexpected", "didn'?t expect", "did not expect", "never expected", "can'?t believe",
                 "shocked", "shock", "astonish", "whoa", "didn'?t see that", "plot twist", "out of nowhere",
                 "actually works"),
}  # fmt: skip

# The GoEmotions paper's Ekman grouping (docs/analysis.md section 1), used forwards here.
GOEMOTIONS_TO_EKMAN: Mapping[str, str] = {
    "anger": "anger", "annoyance": "anger", "disapproval": "anger",
    "disgust": "disgust",
    "fear": "fear", "nervousness": "fear",
    "joy": "joy", "amusement": "joy", "approval": "joy", "excitement": "joy", "gratitude": "joy", "love": "joy",
    "optimism": "joy", "relief": "joy", "pride": "joy", "admiration": "joy", "desire": "joy", "caring": "joy",
    "sadness": "sadness", "disappointment": "sadness", "embarrassment": "sadness", "grief": "sadness",
    "remorse": "sadness",
    "surprise": "surprise", "realization": "surprise", "confusion": "surprise", "curiosity": "surprise",
}  # fmt: skip

# Our grouping onto Plutchik's eight primaries: trust takes the approving labels and anticipation the
# forward-looking ones (Plutchik's own dyads would split these, which a keyword list cannot do).
GOEMOTIONS_TO_PLUTCHIK: Mapping[str, str] = {
    "joy": "joy", "amusement": "joy", "excitement": "joy", "love": "joy", "relief": "joy", "pride": "joy",
    "admiration": "trust", "approval": "trust", "gratitude": "trust", "caring": "trust",
    "optimism": "anticipation", "desire": "anticipation", "curiosity": "anticipation",
    "surprise": "surprise", "realization": "surprise", "confusion": "surprise",
    "sadness": "sadness", "disappointment": "sadness", "grief": "sadness", "remorse": "sadness",
    "embarrassment": "sadness",
    "disgust": "disgust",
    "anger": "anger", "annoyance": "anger", "disapproval": "anger",
    "fear": "fear", "nervousness": "fear",
}  # fmt: skip

# Topic keywords (regex fragments matched at a word start) for types.TOPICS.
TOPIC_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "price/value": ("price", "priced", "overpriced", "cost", "costs", "expensive", "cheap", "money", "value",
                    "worth", "pricey", "budget", "deal", "sale", "refund", "paid", "pay", "\\$", "€", "euros?",
                    "dollars?", "penny", "bargain"),
    "quality/durability": ("quality", "build", "built", "durable", "durability", "sturdy", "flimsy", "broke",
                           "broken", "snapped", "cracked", "fell apart", "lasted", "material", "fabric", "leak",
                           "defect", "faulty", "well made", "cheaply", "plastic", "stitching", "wear"),
    "shipping/delivery": ("shipping", "shipped", "delivery", "delivered", "arrived", "arrival", "package",
                          "parcel", "courier", "box", "packaging", "tracking"),
    "customer service": ("support", "customer service", "service", "staff", "seller", "replied", "reply",
                         "respond", "warranty", "replacement", "agent", "manager", "receptionist", "front desk",
                         "waiter", "waitress", "barista", "host", "devs?", "developers?"),
    "usability/setup": ("setup", "set up", "install", "installation", "easy to use", "instructions", "manual",
                        "interface", "menu", "app", "pair", "pairs", "assembly", "controls", "settings", "intuitive",
                        "user friendly", "clunky", "remap"),
    "performance": ("battery", "performance", "fast", "slow", "speed", "lag", "laggy", "fps", "frame ?rate",
                    "crash", "crashes", "freez", "overheat", "charging", "loud", "bass", "sound", "stutter",
                    "disconnect", "server", "loading"),
    "amenities/food": ("food", "breakfast", "dinner", "lunch", "room", "pool", "beds?", "restaurant", "coffee",
                       "bathroom", "shower", "parking", "wifi", "wi-fi", "spa", "gym", "view", "beach", "pizza",
                       "ramen", "drinks", "menu", "sheets", "location", "terrace", "kitchen"),
    "gameplay": ("gameplay", "combat", "level", "levels", "boss", "multiplayer", "co-op", "coop", "quest", "quests",
                 "matchmaking", "puzzle", "puzzles", "progression", "grind", "maps?", "ranked", "crafting",
                 "difficulty", "story mode", "controls"),
    "content": ("video", "content", "episode", "story", "storytelling", "tutorial", "editing", "explanation",
                "channel", "presenter", "topic", "information", "research", "thumbnail", "intro", "sponsor",
                "music", "soundtrack", "script", "subtitles", "art", "graphics", "plot"),
}  # fmt: skip

# A small RAKE stopword list of our own (English plus the commonest function words of five other
# Latin-script languages, so keyphrases of those reviews are not one long run).
STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again against all almost also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
    even ever every few for from further get gets got had hadn't has hasn't have haven't having he he'd he'll he's her
    here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its
    itself just let's me might more most much must mustn't my myself no nor not now of off on once only or other
    ought our ours ourselves out over own quite rather really same she she'd she'll she's should shouldn't so some
    still such than that that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those though although through to too under until up upon us very was wasn't we we'd we'll
    we're we've were weren't what what's when when's where where's which while who who's whom why why's will with
    won't would wouldn't yet you you'd you'll you're you've your yours yourself yourselves one two three also
    again already always anyway around back enough else etc instead lot lots maybe never often perhaps since
    sometimes somewhat thing things way well whole within without actually definitely probably bit little
    el la los las un una unos unas y o de del en con por para que es son muy pero se lo al su sus mi
    le les des du et ou en avec pour que est sont très mais ce cette il elle je nous vous ne pas
    der die das ein eine und oder mit für ist sind sehr aber nicht ich wir sie es zu im am den dem des
    o a os as um uma e com por para que é são muito mas não eu
    il lo gli le uno una e con per che è sono molto ma non io
    """.split()
)
