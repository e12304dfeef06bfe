"""Webhook endpoints, their deliveries, and the event catalogue (``/api/v1/webhooks...``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.api.serializers import (
    DeliveryOutputSerializer,
    WebhookOutputSerializer,
    WebhookWithSecretSerializer,
)
from integrations.selectors import delivery_get, delivery_list, webhook_get, webhook_list
from integrations.services import (
    delivery_redeliver,
    webhook_create,
    webhook_delete,
    webhook_rotate_secret,
    webhook_send_test,
    webhook_set_enabled,
    webhook_update,
)
from integrations.webhooks.events import EVENT_DESCRIPTIONS, SUBSCRIBABLE_EVENT_TYPES
from sentimatrix.api.fields import ObjectIdField
from sentimatrix.api.pagination import PageNumberPagination
from sentimatrix.api.permissions import IsActiveUser


def _project_for(user: Any, project_id: Any) -> Any:
    if project_id is None:
        return None
    from projects.selectors import project_get
    from sentimatrix.api.errors import NotFoundError

    try:
        return project_get(user=user, project_id=project_id)
    except NotFoundError:
        raise serializers.ValidationError({"project_id": ["No such project."]}) from None


def _with_secret(webhook: Any, secret: str) -> dict[str, Any]:
    data = dict(WebhookOutputSerializer(webhook).data)
    data["secret"] = secret
    return data


@extend_schema_field({"type": "string", "pattern": "^[0-9a-f]{24}$"})
class _ProjectIdField(ObjectIdField):
    """A project id (24 hex characters) in the OpenAPI schema."""


def _events_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=sorted(SUBSCRIBABLE_EVENT_TYPES)), **kwargs)


class WebhookListCreateApi(generics.ListAPIView):
    """Your webhook endpoints; POST registers one and returns its signing secret once."""

    permission_classes = [IsActiveUser]
    pagination_class = PageNumberPagination
    serializer_class = WebhookOutputSerializer
    filter_backends: list = []

    class WebhookCreateInputSerializer(serializers.Serializer):
        url = serializers.CharField(max_length=2048)
        events = _events_field(min_length=1, max_length=20)
        label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        project_id = _ProjectIdField(required=False, allow_null=True, default=None)

    def get_queryset(self):  # noqa: ANN201 - DRF hook
        return webhook_list(user=self.request.user)

    @extend_schema(request=WebhookCreateInputSerializer, responses={201: WebhookWithSecretSerializer})
    def post(self, request: Request) -> Response:
        data = self.WebhookCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        project = _project_for(request.user, values["project_id"])
        webhook, secret = webhook_create(
            actor=request.user, url=values["url"], events=values["events"], label=values["label"], project=project
        )
        return Response(_with_secret(webhook, secret), status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    permission_classes = [IsActiveUser]

    class WebhookUpdateInputSerializer(serializers.Serializer):
        url = serializers.CharField(max_length=2048, required=False)
        events = _events_field(min_length=1, max_length=20, required=False)
        label = serializers.CharField(max_length=100, required=False, allow_blank=True)
        project_id = _ProjectIdField(required=False, allow_null=True)

    @extend_schema(responses=WebhookOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(WebhookOutputSerializer(webhook_get(user=request.user, webhook_id=pk)).data)

    @extend_schema(request=WebhookUpdateInputSerializer, responses=WebhookOutputSerializer)
    def patch(self, request: Request, pk: str) -> Response:
        webhook = webhook_get(user=request.user, webhook_id=pk)
        data = self.WebhookUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "project_id" in values:
            values["project"] = _project_for(request.user, values.pop("project_id"))
        webhook = webhook_update(actor=request.user, webhook=webhook, **values)
        return Response(WebhookOutputSerializer(webhook).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        webhook_delete(actor=request.user, webhook=webhook_get(user=request.user, webhook_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEnableApi(APIView):
    permission_classes = [IsActiveUser]
    enabled = True

    @extend_schema(request=None, responses=WebhookOutputSerializer)
    def post(self, request: Request, pk: str) -> Response:
        webhook = webhook_get(user=request.user, webhook_id=pk)
        webhook = webhook_set_enabled(actor=request.user, webhook=webhook, enabled=self.enabled)
        return Response(WebhookOutputSerializer(webhook).data)


class WebhookDisableApi(WebhookEnableApi):
    enabled = False


class WebhookRotateSecretApi(APIView):
    """New signing secret (shown once). The old one keeps signing for ``overlap_hours`` (default 24; 0 = now)."""

    permission_classes = [IsActiveUser]

    class WebhookRotateInputSerializer(serializers.Serializer):
        overlap_hours = serializers.IntegerField(min_value=0, max_value=168, required=False, allow_null=True)

    @extend_schema(request=WebhookRotateInputSerializer, responses=WebhookWithSecretSerializer)
    def post(self, request: Request, pk: str) -> Response:
        webhook = webhook_get(user=request.user, webhook_id=pk)
        data = self.WebhookRotateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        webhook, secret = webhook_rotate_secret(
            actor=request.user, webhook=webhook, overlap_hours=data.validated_data.get("overlap_hours")
        )
        return Response(_with_secret(webhook, secret))


class WebhookTestApi(APIView):
    """Send a ``webhook.test`` event now; the answer says what the receiver did (recorded as a delivery)."""

    permission_classes = [IsActiveUser]

    class WebhookTestOutputSerializer(serializers.Serializer):
        success = serializers.BooleanField()
        status_code = serializers.IntegerField(allow_null=True)
        time_ms = serializers.IntegerField(allow_null=True)
        error = serializers.CharField(allow_blank=True)
        delivery = DeliveryOutputSerializer()

    @extend_schema(request=None, responses=WebhookTestOutputSerializer)
    def post(self, request: Request, pk: str) -> Response:
        webhook = webhook_get(user=request.user, webhook_id=pk)
        delivery = webhook_send_test(actor=request.user, webhook=webhook)
        response = delivery.response
        return Response(
            self.WebhookTestOutputSerializer(
                {
                    "success": delivery.status == "success",
                    "status_code": response.status_code if response else None,
                    "time_ms": response.time_ms if response else None,
                    "error": delivery.error,
                    "delivery": delivery,
                }
            ).data
        )


class DeliveryListApi(generics.ListAPIView):
    """Deliveries of one endpoint, newest first (kept WEBHOOK_DELIVERY_RETENTION_DAYS days)."""

    permission_classes = [IsActiveUser]
    pagination_class = PageNumberPagination
    serializer_class = DeliveryOutputSerializer
    filter_backends: list = []

    class DeliveryFilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["pending", "success", "failed", "paused"], required=False)
        event = serializers.CharField(max_length=64, required=False)

    def get_queryset(self):  # noqa: ANN201 - DRF hook
        webhook = webhook_get(user=self.request.user, webhook_id=self.kwargs["pk"])
        filters = self.DeliveryFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return delivery_list(user=self.request.user, webhook=webhook, **filters.validated_data)


class DeliveryDetailApi(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(responses=DeliveryOutputSerializer)
    def get(self, request: Request, pk: str, delivery_pk: str) -> Response:
        webhook = webhook_get(user=request.user, webhook_id=pk)
        delivery = delivery_get(user=request.user, webhook=webhook, delivery_id=delivery_pk)
        return Response(DeliveryOutputSerializer(delivery).data)


class DeliveryRedeliverApi(APIView):
    """Queue a delivery again (same webhook-id and body); 202 with the delivery as now scheduled.

    The delivery is reset to pending and due at once. If the job queue is down the request still
    succeeds: the delivery stays pending and the dispatcher sends it once the queue is back.
    """

    permission_classes = [IsActiveUser]

    @extend_schema(request=None, responses={202: DeliveryOutputSerializer})
    def post(self, request: Request, pk: str, delivery_pk: str) -> Response:
        webhook = webhook_get(user=request.user, webhook_id=pk)
        delivery = delivery_get(user=request.user, webhook=webhook, delivery_id=delivery_pk)
        delivery = delivery_redeliver(actor=request.user, delivery=delivery)
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookEventListApi(APIView):
    """The events an endpoint can subscribe to."""

    permission_classes = [IsActiveUser]

    class WebhookEventSerializer(serializers.Serializer):
        type = serializers.CharField()
        description = serializers.CharField()

    @extend_schema(responses=WebhookEventSerializer(many=True))
    def get(self, request: Request) -> Response:
        events = [{"type": name, "description": EVENT_DESCRIPTIONS[name]} for name in sorted(SUBSCRIBABLE_EVENT_TYPES)]
        return Response(self.WebhookEventSerializer(events, many=True).data)
