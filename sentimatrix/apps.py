from django.apps import AppConfig


class SentimatrixConfig(AppConfig):
    """The project package as an app: project-wide management commands and templates."""

    name = "sentimatrix"
    default = True

    def ready(self) -> None:
        from sentimatrix.api import schema  # noqa: F401 - registers the OpenAPI auth extension
