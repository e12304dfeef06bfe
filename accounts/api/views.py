"""Account and authentication endpoints under ``/api/v1/auth/``. Thin: validate, call one
service or selector, serialize."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import oauth, services
from accounts.models import User
from accounts.selectors import user_usage
from projects.schedule_math import known_zones
from sentimatrix.api.errors import ApplicationError
from sentimatrix.api.permissions import IsActiveUser

OAUTH_BINDING_COOKIE = "sm_oauth_binding"


# --- shared output shapes ---------------------------------------------------------------------------


class UserSettingsSerializer(serializers.Serializer):
    timezone = serializers.CharField(max_length=64)
    email_notifications = serializers.BooleanField()
    weekly_digest = serializers.BooleanField()
    default_preset = serializers.CharField(max_length=64)
    results_per_page = serializers.IntegerField(min_value=5, max_value=100)
    dashboard_layout = serializers.ChoiceField(choices=["grid", "list"])

    def validate_timezone(self, value: str) -> str:
        # The same set project schedules accept: the user's zone becomes new projects' default.
        if value not in known_zones():
            raise serializers.ValidationError("Use an IANA time zone name such as Europe/Berlin or UTC.")
        return value


class UserOutputSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    email = serializers.EmailField()
    name = serializers.CharField()
    company = serializers.CharField()
    avatar_url = serializers.CharField()
    role = serializers.CharField()
    plan = serializers.CharField()
    status = serializers.CharField()
    email_verified = serializers.BooleanField()
    email_verified_at = serializers.DateTimeField(allow_null=True)
    settings = UserSettingsSerializer()
    oauth_providers = serializers.SerializerMethodField()
    has_password = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    last_login_at = serializers.DateTimeField(source="last_login", allow_null=True)

    def get_oauth_providers(self, user: User) -> list[str]:
        return [p for p in oauth.PROVIDER_IDS if getattr(user.oauth, f"{p}_id", None)]

    def get_has_password(self, user: User) -> bool:
        return user.has_usable_password()


class TokenOutputSerializer(serializers.Serializer):
    token_type = serializers.CharField(default="Bearer")
    access = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh = serializers.CharField()
    refresh_expires_at = serializers.DateTimeField()


class LoginOutputSerializer(TokenOutputSerializer):
    user = UserOutputSerializer()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _tokens(tokens: services.TokenPair) -> dict:
    return TokenOutputSerializer(
        {
            "token_type": "Bearer",
            "access": tokens.access,
            "access_expires_at": tokens.access_expires_at,
            "refresh": tokens.refresh,
            "refresh_expires_at": tokens.refresh_expires_at,
        }
    ).data


def _password_field() -> serializers.CharField:
    # Lengths are checked by the password validators, which say what to fix.
    return serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class AnonymousApi(APIView):
    """Endpoints used before there is a session: no authentication (a stale Bearer header or a
    session cookie must not get in the way), anyone may call them."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


# --- registration, login, sessions ------------------------------------------------------------------


class RegisterApi(AnonymousApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        name = serializers.CharField(max_length=200)
        password = _password_field()

    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginApi(AnonymousApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = _password_field()

    @extend_schema(request=InputSerializer, responses={200: LoginOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, tokens = services.auth_login(**data.validated_data)
        return Response({**_tokens(tokens), "user": UserOutputSerializer(user).data})


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=512)


class RefreshApi(AnonymousApi):
    @extend_schema(request=RefreshInputSerializer, responses={200: TokenOutputSerializer})
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_tokens(services.auth_refresh(refresh=data.validated_data["refresh"])))


class LogoutApi(AnonymousApi):
    """Works with an expired access token: the refresh token names the session to end."""

    @extend_schema(request=RefreshInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the caller's account ---------------------------------------------------------------------------


class MeApi(APIView):
    permission_classes = [IsActiveUser]
    api_quota_exempt = True

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        company = serializers.CharField(max_length=200, allow_blank=True)
        avatar_url = serializers.URLField(max_length=500, allow_blank=True)
        settings = UserSettingsSerializer(required=False)

    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer})
    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.account_update(actor=request.user, user=request.user, data=dict(data.validated_data))
        return Response(UserOutputSerializer(user).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        services.account_delete(actor=request.user, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MePasswordApi(APIView):
    permission_classes = [IsActiveUser]
    api_quota_exempt = True

    class InputSerializer(serializers.Serializer):
        current_password = _password_field()
        new_password = _password_field()

    class OutputSerializer(serializers.Serializer):
        detail = serializers.CharField()
        sessions_ended = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ended = services.password_change(
            user=request.user, session_id=getattr(request.auth, "session_id", None), **data.validated_data
        )
        return Response({"detail": "Password changed; your other sessions were ended.", "sessions_ended": ended})


class UsageCounterSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True)  # null: unlimited on this plan
    remaining = serializers.IntegerField(allow_null=True)


class MeUsageApi(APIView):
    permission_classes = [IsActiveUser]
    api_quota_exempt = True

    class OutputSerializer(serializers.Serializer):
        plan = serializers.CharField()
        last_reset_at = serializers.DateTimeField(allow_null=True)
        projects = UsageCounterSerializer()
        scrape_jobs_per_month = UsageCounterSerializer()
        api_calls_per_month = UsageCounterSerializer()
        targets_per_project = serializers.IntegerField(allow_null=True)
        results_stored = serializers.IntegerField(allow_null=True)
        results_retention_days = serializers.IntegerField()
        api_calls_per_minute = serializers.IntegerField()
        presets = serializers.ListField(child=serializers.CharField())
        llm_providers = serializers.ListField(child=serializers.CharField(), allow_null=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(user_usage(user=request.user)).data)


# --- passwords and e-mail verification --------------------------------------------------------------


class PasswordForgotApi(AnonymousApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)

    @extend_schema(request=InputSerializer, responses={202: DetailSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_forgot(email=data.validated_data["email"])
        return Response(
            {"detail": "If an account uses this address, a reset link is on its way."}, status=status.HTTP_202_ACCEPTED
        )


class LinkTokenSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)


class PasswordResetApi(AnonymousApi):
    class InputSerializer(LinkTokenSerializer):
        new_password = _password_field()

    @extend_schema(request=InputSerializer, responses={200: DetailSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset(**data.validated_data)
        return Response({"detail": "Password changed; log in with the new password."})


class EmailVerifySendApi(APIView):
    permission_classes = [IsActiveUser]
    api_quota_exempt = True

    @extend_schema(request=None, responses={202: DetailSerializer, 200: DetailSerializer})
    def post(self, request: Request) -> Response:
        if not services.email_verification_send(user=request.user):
            return Response({"detail": "Your e-mail address is already verified."})
        return Response({"detail": "A verification link is on its way."}, status=status.HTTP_202_ACCEPTED)


class EmailVerifyApi(AnonymousApi):
    @extend_schema(request=LinkTokenSerializer, responses={200: UserOutputSerializer})
    def post(self, request: Request) -> Response:
        data = LinkTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.email_verify(**data.validated_data)
        return Response(UserOutputSerializer(user).data)


# --- OAuth --------------------------------------------------------------------------------------


class OAuthProvidersApi(AnonymousApi):
    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField()
        name = serializers.CharField()
        start_url = serializers.CharField()

    @extend_schema(responses={200: inline_serializer("OAuthProviders", {"providers": OutputSerializer(many=True)})})
    def get(self, request: Request) -> Response:
        providers = [
            {"id": p.id, "name": p.name, "start_url": f"/api/v1/auth/oauth/{p.id}/start"}
            for p in oauth.providers_enabled()
        ]
        return Response({"providers": self.OutputSerializer(providers, many=True).data})


class OAuthStartApi(AnonymousApi):
    class OutputSerializer(serializers.Serializer):
        authorization_url = serializers.CharField()
        state = serializers.CharField()

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request: Request, provider: str) -> Response:
        url, state, binding = services.oauth_start(provider_id=provider)
        response = Response(self.OutputSerializer({"authorization_url": url, "state": state}).data)
        response.set_cookie(
            OAUTH_BINDING_COOKIE, binding, max_age=settings.OAUTH_STATE_TTL_SECONDS, httponly=True,
            samesite="Lax", secure=request.is_secure(), path="/api/v1/auth/oauth/",
        )  # fmt: skip
        return response


class OAuthCallbackApi(AnonymousApi):
    class InputSerializer(serializers.Serializer):
        state = serializers.CharField(max_length=128)
        code = serializers.CharField(max_length=2048, required=False)
        error = serializers.CharField(max_length=200, required=False)

        def validate(self, attrs: dict) -> dict:
            if not attrs.get("code") and not attrs.get("error"):
                raise serializers.ValidationError({"code": ["Pass the code the provider returned."]})
            return attrs

    class OutputSerializer(LoginOutputSerializer):
        created = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, provider: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data.get("error"):
            raise ApplicationError(
                "The sign-in was cancelled or refused at the provider; start again.", code="oauth_denied"
            )
        user, tokens, created = services.oauth_complete(
            provider_id=provider,
            code=data.validated_data["code"],
            state=data.validated_data["state"],
            binding=request.COOKIES.get(OAUTH_BINDING_COOKIE),
        )
        response = Response({**_tokens(tokens), "user": UserOutputSerializer(user).data, "created": created})
        response.delete_cookie(OAUTH_BINDING_COOKIE, path="/api/v1/auth/oauth/")
        return response
