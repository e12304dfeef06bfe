from django.apps import AppConfig


class SentimatrixConfig(AppConfig):
    """The project package as an app: project-wide management commands and templates."""

    name = "sentimatrix"
    default = True
