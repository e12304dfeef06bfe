from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        from audit.signals import on_log_entry_saved

        post_save.connect(on_log_entry_saved, sender=LogEntry, dispatch_uid="audit.admin_log_entry")
