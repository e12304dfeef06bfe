from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
