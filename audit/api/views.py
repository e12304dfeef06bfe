"""``GET /api/v1/audit/events``: the caller's own audit trail (filters: event_type, date range)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.selectors import audit_event_list
from sentimatrix.api.pagination import PageNumberPagination
from sentimatrix.api.permissions import IsActiveUser


class AuditEventListApi(APIView):
    permission_classes = [IsActiveUser]

    class FilterSerializer(serializers.Serializer):
        event_type = serializers.RegexField(
            r"^[a-z_]+(\.[a-z_]+)*(\.\*)?$", max_length=64, required=False,
            help_text="An event type (auth.login) or a family of them (auth.*).",
            error_messages={"invalid": "Use an event type such as auth.login, or auth.* for a whole family."},
        )  # fmt: skip
        since = serializers.DateTimeField(required=False, help_text="Events at or after this time (ISO 8601).")
        until = serializers.DateTimeField(required=False, help_text="Events before this time (ISO 8601).")

        def validate(self, attrs: dict) -> dict:
            if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
                raise serializers.ValidationError({"until": ["Must be later than since."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField(read_only=True)
        event_type = serializers.CharField()
        success = serializers.BooleanField()
        ip_address = serializers.CharField(allow_null=True)
        user_agent = serializers.CharField()
        metadata = serializers.DictField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        parameters=[FilterSerializer],
        responses={
            200: inline_serializer(
                "AuditEventPage",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": OutputSerializer(many=True),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        events = audit_event_list(user=request.user, **filters.validated_data)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)
