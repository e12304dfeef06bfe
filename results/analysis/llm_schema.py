"""JSON schema, answer parsing and validation for LLM analysis (analysis.md 4.1-4.2).

Two schemas come from one builder:

- the *wire* schema sent to the provider keeps to the subset every strict mode accepts (object, array,
  string, number, enum; ``additionalProperties: false`` and every property required on every object);
- the *local* schema adds what no provider enforces (number ranges), and every item is validated against it.

List lengths (at most 3 pros, cons, topics, key points and detected emotions) are asked for in the prompt and
trimmed when mapping, not enforced: a fourth pro is not worth a paid repair round.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from results.analysis.types import EMOTION_LABELS, SENTIMENT5, TOPICS, AnalysisOptions

__all__ = [
    "AnswerCheck",
    "ProjectSchema",
    "build_item_schema",
    "build_project_schema",
    "build_request_schema",
    "check_answer",
    "item_validator",
    "load_json_document",
    "normalise_item",
    "parse_answer",
    "project_validator",
    "requested_blocks",
    "validation_errors",
]


def requested_blocks(options: AnalysisOptions) -> tuple[str, ...]:
    blocks = []
    if options.sentiment:
        blocks.append("sentiment")
    if options.emotions:
        blocks.append("emotions")
    if options.summarize:
        blocks.append("summary")
    if options.extract_insights:
        blocks.append("insights")
    return tuple(blocks)


def _emotion_labels(options: AnalysisOptions) -> tuple[str, ...]:
    try:
        return EMOTION_LABELS[options.emotion_model]
    except KeyError:
        raise ValueError(f"unknown emotion_model {options.emotion_model!r}") from None


def _number(local: bool, low: float, high: float) -> dict[str, Any]:
    return {"type": "number", "minimum": low, "maximum": high} if local else {"type": "number"}


def _obj(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(properties),
        "additionalProperties": False,
    }


def _strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def _topics(local: bool) -> dict[str, Any]:
    return {
        "type": "array",
        "items": _obj({"topic": {"type": "string", "enum": list(TOPICS)}, "sentiment": _number(local, -1, 1)}),
    }


def build_item_schema(options: AnalysisOptions, *, local: bool = False) -> dict[str, Any]:
    """Schema of one result item; only the blocks ``options`` asks for. Flat keys keep output tokens low."""
    props: dict[str, Any] = {"id": {"type": "string"}}
    if options.sentiment:
        # Always 5-class: the label is folded to 3 classes afterwards (analysis.md 1), at no extra tokens.
        props["sentiment"] = {"type": "string", "enum": list(SENTIMENT5)}
        props["score"] = _number(local, -1, 1)
        props["confidence"] = _number(local, 0, 1)
    if options.emotions:
        labels = _emotion_labels(options)
        props["emotion"] = {"type": "string", "enum": list(labels)}
        props["emotion_score"] = _number(local, 0, 1)
        props["emotions"] = {
            "type": "array",
            "items": _obj(
                {
                    "emotion": {"type": "string", "enum": [x for x in labels if x != "neutral"]},
                    "score": _number(local, 0, 1),
                }
            ),
        }
    if options.summarize:
        props["summary"] = {"type": "string"}
        props["key_points"] = _strings()
    if options.extract_insights:
        props["pros"] = _strings()
        props["cons"] = _strings()
        props["topics"] = _topics(local)
    return _obj(props)


def build_request_schema(options: AnalysisOptions, *, local: bool = False) -> dict[str, Any]:
    """Root ``{"results": [item, ...]}`` (strict modes need an object root)."""
    return _obj({"results": {"type": "array", "items": build_item_schema(options, local=local)}})


@dataclass(frozen=True)
class ProjectSchema:
    wire: dict[str, Any]
    local: dict[str, Any]


def build_project_schema(options: AnalysisOptions) -> ProjectSchema:
    """Schema of the project-level summary/insights answer (one object, no ids)."""

    def build(local: bool) -> dict[str, Any]:
        props: dict[str, Any] = {}
        if options.summarize:
            props["summary"] = {"type": "string"}
            props["key_points"] = _strings()
        if options.extract_insights:
            props["pros"] = _strings()
            props["cons"] = _strings()
            props["topics"] = _topics(local)
        return _obj(props)

    return ProjectSchema(wire=build(False), local=build(True))


def item_validator(options: AnalysisOptions) -> Draft202012Validator:
    return Draft202012Validator(build_item_schema(options, local=True))


def project_validator(options: AnalysisOptions) -> Draft202012Validator:
    return Draft202012Validator(build_project_schema(options).local)


# ---------------------------------------------------------------------------------------------- parsing

_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_ITEM_START = re.compile(r'\{\s*"id"\s*:')
_DECODER = json.JSONDecoder()


def _strip_fences(text: str) -> str:
    match = _FENCE.match(text)
    return match.group(1) if match else text


def load_json_document(text: str) -> Any:
    """Parse a whole answer: plain JSON, code-fenced JSON, or the outermost ``{...}`` inside other text."""
    text = _strip_fences(text.strip())
    try:
        return json.loads(text)
    except ValueError:
        pass
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        try:
            return json.loads(text[start : end + 1])
        except ValueError:
            pass
    raise ValueError("no JSON object in the answer")


def _salvage_items(text: str) -> list[Any]:
    """Decode every ``{"id": ...}`` object that parses on its own, skipping broken ones, so one malformed
    item costs a repair of that item only. Nested objects (topics, emotions) carry no "id" key."""
    items: list[Any] = []
    pos = 0
    while True:
        match = _ITEM_START.search(text, pos)
        if match is None:
            return items
        try:
            obj, end = _DECODER.raw_decode(text, match.start())
        except ValueError:
            pos = match.end()
            continue
        items.append(obj)
        pos = end


def parse_answer(content: str | Mapping[str, Any]) -> tuple[list[Any], str | None]:
    """Result items from a provider answer, and a parse problem (None when the document parsed whole).

    Accepts a dict (tool input), a JSON document, a code-fenced document, text around the outermost
    ``{...}``, a bare list, or ``"results"`` encoded as a JSON string (a known tool-use quirk). When the
    document does not parse, items that parse on their own are salvaged.
    """
    root: Any
    if isinstance(content, Mapping):
        root = content
    else:
        try:
            root = load_json_document(content)
        except ValueError as exc:
            return _salvage_items(content), str(exc)
    if isinstance(root, Mapping):
        results = root.get("results")
        if isinstance(results, str):
            try:
                results = json.loads(results)
            except ValueError:
                return _salvage_items(results), "results was a string that is not JSON"
    else:
        results = root
    if not isinstance(results, list):
        return [], 'the answer has no "results" array'
    return results, None


# ------------------------------------------------------------------------------------------- validation

_ENUM_STRING_KEYS = ("sentiment", "emotion")


def normalise_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """Fix harmless spelling drift ("Very Positive" for very_positive) before validation: cheaper than a
    repair round and it cannot change a meaning."""
    out = dict(item)
    for key in _ENUM_STRING_KEYS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = value.strip().lower().replace(" ", "_").replace("-", "_")
    for key, inner in (("emotions", "emotion"), ("topics", "topic")):
        value = out.get(key)
        if isinstance(value, list):
            out[key] = [
                {**x, inner: x[inner].strip().lower()} if isinstance(x, dict) and isinstance(x.get(inner), str) else x
                for x in value
            ]
    return out


def validation_errors(validator: Draft202012Validator, item: Mapping[str, Any]) -> list[str]:
    messages = []
    for error in sorted(validator.iter_errors(item), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path)
        messages.append(f"{path}: {error.message}" if path else error.message)
    return messages


@dataclass(frozen=True)
class AnswerCheck:
    accepted: Mapping[str, Mapping[str, Any]]  # local id -> normalised valid item
    problems: Mapping[str, str]  # local id -> why it must be resent (missing, duplicate, invalid)
    unknown_ids: tuple[str, ...]  # ids in the answer that were not sent (dropped)


def check_answer(sent_ids: Sequence[str], items: Sequence[Any], validator: Draft202012Validator) -> AnswerCheck:
    """Keep valid items whose id was sent exactly once; everything else sent is to be resent
    (analysis.md 4.2 ``split_answer``, with the reasons kept for the repair prompt)."""
    sent = set(sent_ids)
    by_id: dict[str, list[dict[str, Any]]] = {}
    unknown: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        local_id = item.get("id")
        if isinstance(local_id, str) and local_id in sent:
            by_id.setdefault(local_id, []).append(item)
        elif isinstance(local_id, str):
            unknown.append(local_id)
    accepted: dict[str, Mapping[str, Any]] = {}
    problems: dict[str, str] = {}
    for local_id in sent_ids:
        answers = by_id.get(local_id)
        if not answers:
            problems[local_id] = "missing from the answer"
            continue
        if len(answers) > 1:
            problems[local_id] = f"answered {len(answers)} times"
            continue
        item = normalise_item(answers[0])
        errors = validation_errors(validator, item)
        if errors:
            problems[local_id] = "; ".join(errors[:3])
        else:
            accepted[local_id] = item
    return AnswerCheck(accepted=accepted, problems=problems, unknown_ids=tuple(unknown))
