from django.urls import path

from audit.api import views

app_name = "audit"

urlpatterns = [
    path("audit/events", views.AuditEventListApi.as_view(), name="events"),
]
