"""The analysis contract every analyzer implements (docs/analysis.md section 1).

Pure: no Django imports. ``analyze(batch, options) -> list[Analysis]`` returns one ``Analysis``
per input, in input order. A block that the options switch off is ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

SENTIMENT3 = ("positive", "neutral", "negative")
SENTIMENT5 = ("very_positive", "positive", "neutral", "negative", "very_negative")
EKMAN = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
PLUTCHIK = ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation", "neutral")
GOEMOTIONS = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity",
    "desire", "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear",
    "gratitude", "grief", "joy", "love", "nervousness", "optimism", "pride", "realization", "relief",
    "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip
EMOTION_LABELS: Mapping[str, tuple[str, ...]] = {"ekman": EKMAN, "plutchik": PLUTCHIK, "goemotions": GOEMOTIONS}
TOPICS = (
    "price/value", "quality/durability", "shipping/delivery", "customer service", "usability/setup",
    "performance", "amenities/food", "gameplay", "content",
)  # fmt: skip


@dataclass(frozen=True)
class ReviewInput:
    id: str  # caller's id (a result pk as a string); echoed back in Analysis.id
    text: str
    title: str = ""
    language_hint: str | None = None  # platform-supplied language, used only when detection says "und"
    rating: float | None = None


@dataclass(frozen=True)
class AnalysisOptions:
    sentiment: bool = True
    sentiment_classes: int = 3  # 3 or 5
    emotions: bool = False
    emotion_model: str = "ekman"  # ekman | goemotions | plutchik
    summarize: bool = False
    extract_insights: bool = False


@dataclass(frozen=True)
class Sentiment:
    label: str  # always 3-class
    score: float  # -1..1
    confidence: float  # 0..1
    scores: Mapping[str, float]  # the five SENTIMENT5 keys, sum 1
    analyzer: str


@dataclass(frozen=True)
class EmotionScore:
    emotion: str
    score: float


@dataclass(frozen=True)
class Emotions:
    model: str
    primary: str
    primary_score: float
    detected: Sequence[EmotionScore]
    analyzer: str


@dataclass(frozen=True)
class Summary:
    text: str
    key_points: Sequence[str]
    analyzer: str


@dataclass(frozen=True)
class Topic:
    topic: str
    sentiment: float


@dataclass(frozen=True)
class Insights:
    pros: Sequence[str]
    cons: Sequence[str]
    topics: Sequence[Topic]
    analyzer: str


@dataclass(frozen=True)
class Analysis:
    id: str
    language: str  # ISO 639-1 or "und"
    word_count: int
    sentiment: Sentiment | None = None
    emotions: Emotions | None = None
    summary: Summary | None = None
    insights: Insights | None = None
    analyzed_at: datetime | None = None


@dataclass(frozen=True)
class Usage:
    """Token usage and cost of the provider calls an analyzer made (zero for offline analyzers)."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    extra: Mapping[str, float] = field(default_factory=dict)


class Analyzer(Protocol):
    name: str

    def analyze(self, batch: Sequence[ReviewInput], options: AnalysisOptions) -> list[Analysis]: ...


class AnalysisError(Exception):
    """An analyzer could not produce an answer; ``code`` classifies it for the job."""

    code = "analysis_error"
    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class ProviderAuthError(AnalysisError):
    code = "provider_auth"


class ProviderRateLimitError(AnalysisError):
    code = "provider_rate_limit"
    retryable = True


class ProviderContextOverflowError(AnalysisError):
    code = "provider_context_overflow"


class ProviderUnavailableError(AnalysisError):
    code = "provider_unavailable"
    retryable = True


class ProviderQuotaError(AnalysisError):
    """The account behind the key has no credit or quota left (e.g. OpenAI 429 ``insufficient_quota``).

    Not retryable: waiting does not help until the tenant tops up; the job pauses and tells the user.
    """

    code = "provider_quota"


class ProviderRequestError(AnalysisError):
    """The provider rejected the request itself (unknown model, bad parameter): a configuration problem."""

    code = "provider_request"


class ProviderOutputError(AnalysisError):
    """The provider refused to return the model's answer because it broke the requested format
    (Groq ``json_validate_failed``). ``failed_output`` holds the rejected text when the provider sent it.
    Analyzers treat it like an invalid answer (repair), not like a transport error.
    """

    code = "provider_output"

    def __init__(self, message: str, *, failed_output: str | None = None) -> None:
        super().__init__(message)
        self.failed_output = failed_output
