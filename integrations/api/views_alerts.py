"""A project's alerts and its sentiment-drop rule (``/api/v1/projects/{id}/alerts``, ``.../alert-rule``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.selectors import alert_list, alert_rule_get
from integrations.services import alert_rule_set
from integrations.services.alerts import default_rule
from sentimatrix.api.pagination import PageNumberPagination
from sentimatrix.api.permissions import IsActiveUser


def _project(user: Any, project_id: Any) -> Any:
    from projects.selectors import project_get

    return project_get(user=user, project_id=project_id)


class AlertOutputSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    type = serializers.CharField()
    job_id = serializers.CharField()
    data = serializers.DictField()
    created_at = serializers.DateTimeField()


class AlertRuleSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    metric = serializers.ChoiceField(choices=["negative_share", "avg_score"], default="negative_share")
    threshold_sigma = serializers.FloatField(min_value=0.5, max_value=10.0, required=False)
    window_jobs = serializers.IntegerField(min_value=3, max_value=100, required=False)
    min_sample = serializers.IntegerField(min_value=1, max_value=100_000, required=False)


class ProjectAlertListApi(generics.ListAPIView):
    """Alerts that fired for the project, newest first."""

    permission_classes = [IsActiveUser]
    pagination_class = PageNumberPagination
    serializer_class = AlertOutputSerializer
    filter_backends: list = []

    def get_queryset(self):  # noqa: ANN201 - DRF hook
        project = _project(self.request.user, self.kwargs["pk"])
        return alert_list(user=self.request.user, project=project)


class ProjectAlertRuleApi(APIView):
    """The project's sentiment-drop rule (disabled with the defaults until set)."""

    permission_classes = [IsActiveUser]

    @extend_schema(responses=AlertRuleSerializer)
    def get(self, request: Request, pk: str) -> Response:
        rule = alert_rule_get(project=_project(request.user, pk))
        if rule is None:
            defaults = default_rule()
            rule = {
                "enabled": False, "metric": defaults.metric, "threshold_sigma": defaults.threshold_sigma,
                "window_jobs": defaults.window_jobs, "min_sample": defaults.min_sample,
            }  # fmt: skip
        return Response(AlertRuleSerializer(rule).data)

    @extend_schema(request=AlertRuleSerializer, responses=AlertRuleSerializer)
    def put(self, request: Request, pk: str) -> Response:
        project = _project(request.user, pk)
        data = AlertRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = alert_rule_set(actor=request.user, project=project, **data.validated_data)
        return Response(AlertRuleSerializer(rule).data)
