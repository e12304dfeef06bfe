from django.apps import AppConfig


class FidelityAppConfig(AppConfig):
    """Models used only by tests/db: every query shape the product relies on, on small data."""

    name = "tests.fidelity_app"
    label = "fidelity"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
