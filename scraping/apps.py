from django.apps import AppConfig


class ScrapingConfig(AppConfig):
    name = "scraping"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
