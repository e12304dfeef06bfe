"""``<objectid:pk>`` in URL patterns: anything but 24 hex characters is a 404 before any view."""

from django.urls import register_converter


class ObjectIdConverter:
    regex = "[0-9a-f]{24}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


# Registered on import, once: every urls module that uses <objectid:...> imports this module.
register_converter(ObjectIdConverter, "objectid")
