from django.urls import path

from accounts.api import views

app_name = "accounts"

urlpatterns = [
    path("auth/me", views.MeApi.as_view(), name="me"),
]
