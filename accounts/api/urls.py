from django.urls import path

from accounts.api import views

app_name = "accounts"

urlpatterns = [
    path("auth/register", views.RegisterApi.as_view(), name="register"),
    path("auth/login", views.LoginApi.as_view(), name="login"),
    path("auth/refresh", views.RefreshApi.as_view(), name="refresh"),
    path("auth/logout", views.LogoutApi.as_view(), name="logout"),
    path("auth/me", views.MeApi.as_view(), name="me"),
    path("auth/me/password", views.MePasswordApi.as_view(), name="me-password"),
    path("auth/me/usage", views.MeUsageApi.as_view(), name="me-usage"),
    path("auth/password/forgot", views.PasswordForgotApi.as_view(), name="password-forgot"),
    path("auth/password/reset", views.PasswordResetApi.as_view(), name="password-reset"),
    path("auth/email/verify", views.EmailVerifyApi.as_view(), name="email-verify"),
    path("auth/email/verify/send", views.EmailVerifySendApi.as_view(), name="email-verify-send"),
    path("auth/oauth/providers", views.OAuthProvidersApi.as_view(), name="oauth-providers"),
    path("auth/oauth/<str:provider>/start", views.OAuthStartApi.as_view(), name="oauth-start"),
    path("auth/oauth/<str:provider>/callback", views.OAuthCallbackApi.as_view(), name="oauth-callback"),
]
