"""JSON request bodies that cannot smuggle MongoDB operators or exhaust the server.

Every stored document is written by our services, but a body is also merged into embedded configs
and filters in places; a key such as ``$set``, ``$where`` or ``a.b`` would be read by MongoDB as an
operator or a path if it ever reached a query or an update. Refusing them at the parser gives one
place that holds for every endpoint, with a 400 in the error envelope that names the key:

- object keys starting with ``$``, containing ``.`` or a NUL character;
- nesting deeper than ``MAX_DEPTH`` (a deeply nested body costs stack and time in every serializer);
- the body size limit is Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413 in the envelope).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def check_document(value: Any, *, path: str = "", depth: int = 0) -> None:
    """Raise for an operator-like key (ValidationError naming the top-level field, so the envelope's
    ``details`` says which field to fix) or excessive nesting (ParseError) anywhere in ``value``."""
    if depth > MAX_DEPTH:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels at {path or 'the top'}.")
    if isinstance(value, dict):
        for key, inner in value.items():
            if not isinstance(key, str) or key.startswith("$") or "." in key or "\x00" in key:
                where = f" under {path}" if path else ""
                field = (path.split(".", 1)[0].split("[", 1)[0] if path else str(key)[:60]) or "non_field_errors"
                raise ValidationError(
                    {field: [f"Field names may not start with '$' or contain '.': {str(key)[:60]!r}{where}."]}
                )
            check_document(inner, path=f"{path}.{key}" if path else key, depth=depth + 1)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            check_document(inner, path=f"{path}[{index}]", depth=depth + 1)


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
        check_document(data)
        return data
