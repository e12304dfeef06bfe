from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
