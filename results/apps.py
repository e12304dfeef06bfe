from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "results"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
