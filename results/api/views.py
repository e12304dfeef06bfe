"""Results API: list/detail/delete/label correction, re-analysis, analysis jobs, analytics, exports.

Thin: validation of query parameters lives in ``results.selectors.ResultFilter``, writes in
``results.services``, aggregations in ``results.analytics``, file formats in ``results.exports``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from results import analytics, exports, selectors, services
from results.api.serializers import (
    AnalysisJobSerializer,
    AnalyzeInputSerializer,
    BulkDeleteSerializer,
    EstimateSerializer,
    ResultPatchSerializer,
    ResultSerializer,
)
from sentimatrix.api.pagination import PageNumberPagination
from sentimatrix.api.permissions import IsActiveUser

FILTER_PARAMETERS = [
    OpenApiParameter("sentiment", str, description="Comma-separated labels (positive,neutral,negative); "
                     "a human correction counts instead of the model's label."),
    OpenApiParameter("score_min", float, description="Sentiment score from (-1..1)."),
    OpenApiParameter("score_max", float, description="Sentiment score to (-1..1)."),
    OpenApiParameter("emotion", str, description="Primary emotion label."),
    OpenApiParameter("platform", str, description="Comma-separated platforms."),
    OpenApiParameter("target", str, description="Target id."),
    OpenApiParameter("language", str, description="Comma-separated ISO 639-1 codes (und = undetermined)."),
    OpenApiParameter("rating_min", float),
    OpenApiParameter("rating_max", float),
    OpenApiParameter("date_from", str, description="Review date from (ISO date or datetime, in tz)."),
    OpenApiParameter("date_to", str, description="Review date to, inclusive (ISO date or datetime, in tz)."),
    OpenApiParameter("q", str, description="Text search in title and text."),
    OpenApiParameter("has_override", bool),
    OpenApiParameter("analysis_status", str, enum=["pending", "queued", "done", "failed"]),
    OpenApiParameter("tz", str, description="IANA time zone for dates without an offset (default: the user's)."),
]  # fmt: skip


class _ResultPagination(PageNumberPagination):
    django_paginator_class = Paginator


# Query parameters every view takes besides its own: DRF's renderer override (?format=json).
COMMON_QUERY_PARAMETERS = (api_settings.URL_FORMAT_OVERRIDE,)
PAGE_PARAMETERS = ("page", "page_size")


def _filter(request: Request, project: Any, *allowed: str) -> selectors.ResultFilter:
    """The query's filters; any other query parameter than the view's own (``allowed``) is a 400."""
    return selectors.ResultFilter.from_params(
        request.query_params, user=request.user, project=project, allowed=(*allowed, *COMMON_QUERY_PARAMETERS)
    )


class ProjectResultsApi(APIView):
    permission_classes = [IsActiveUser]
    # drf-spectacular documents a list response of a view with a pagination_class as the page
    # ({count, next, previous, results}) the view really answers.
    pagination_class = _ResultPagination

    @extend_schema(
        parameters=[*FILTER_PARAMETERS, OpenApiParameter("ordering", str, enum=list(selectors.ORDERINGS))],
        responses=ResultSerializer(many=True),
    )
    def get(self, request: Request, project_id: str) -> Response:
        project = selectors.project_for(user=request.user, project_id=project_id)
        cursor = selectors.results_for_filter(
            _filter(request, project, "ordering", *PAGE_PARAMETERS),
            request.query_params.get("ordering") or "-created_at",
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(cursor, request, view=self)
        return paginator.get_paginated_response(ResultSerializer(page, many=True).data)

    @extend_schema(
        parameters=[*FILTER_PARAMETERS, OpenApiParameter("confirm", bool, required=True,
                                                         description="Must be true: deletes every match.")],
        responses=BulkDeleteSerializer,
    )  # fmt: skip
    def delete(self, request: Request, project_id: str) -> Response:
        project = selectors.project_for(user=request.user, project_id=project_id)
        if str(request.query_params.get("confirm", "")).lower() != "true":
            raise ValidationError({"confirm": ["Add confirm=true to delete every result that matches the filters."]})
        deleted = services.results_bulk_delete(
            actor=request.user, project=project, result_filter=_filter(request, project, "confirm")
        )
        return Response({"deleted": deleted})


class ResultDetailApi(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(responses=ResultSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(ResultSerializer(selectors.result_get(user=request.user, result_id=pk)).data)

    @extend_schema(request=ResultPatchSerializer, responses=ResultSerializer)
    def patch(self, request: Request, pk: str) -> Response:
        payload = ResultPatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        override = payload.validated_data["label_override"]
        label = override["label"] if override else None
        note = override.get("note", "") if override else ""
        doc = services.result_label_override(actor=request.user, result_id=pk, label=label, note=note)
        return Response(ResultSerializer(doc).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        services.result_delete(actor=request.user, result_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResultReanalyzeApi(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(request=None, responses={202: AnalysisJobSerializer})
    def post(self, request: Request, pk: str) -> Response:
        job = services.result_reanalyze(actor=request.user, result_id=pk)
        return Response(AnalysisJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ProjectAnalyzeApi(APIView):
    """Re-analyze all results of a project, or those matching ``filters`` / ``result_ids``."""

    permission_classes = [IsActiveUser]

    @extend_schema(request=AnalyzeInputSerializer, responses={200: EstimateSerializer, 202: AnalysisJobSerializer})
    def post(self, request: Request, project_id: str) -> Response:
        project = selectors.project_for(user=request.user, project_id=project_id)
        payload = AnalyzeInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        flt = (
            selectors.ResultFilter.from_params(data["filters"], user=request.user, project=project)
            if data.get("filters")
            else None
        )
        result_ids = data.get("result_ids")
        if data["dry_run"]:
            estimate = services.analysis_estimate(project=project, result_filter=flt, result_ids=result_ids)
            return Response(EstimateSerializer(estimate).data)
        job = services.analysis_start(
            actor=request.user, project=project, result_ids=result_ids, result_filter=flt, trigger="reanalyze"
        )
        return Response(AnalysisJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ProjectAnalysisJobsApi(APIView):
    permission_classes = [IsActiveUser]
    pagination_class = PageNumberPagination  # documents the page, as above

    @extend_schema(responses=AnalysisJobSerializer(many=True))
    def get(self, request: Request, project_id: str) -> Response:
        project = selectors.project_for(user=request.user, project_id=project_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.analysis_job_list(user=request.user, project=project), request, view=self
        )
        return paginator.get_paginated_response(AnalysisJobSerializer(page, many=True).data)


class AnalysisJobDetailApi(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(responses=AnalysisJobSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(AnalysisJobSerializer(selectors.analysis_job_get(user=request.user, job_id=pk)).data)


# ---------------------------------------------------------------- analytics

_ANY = inline_serializer("AnalyticsObject", {"data": serializers.DictField()})


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"Expected a whole number between {low} and {high}."]}) from None
    if not low <= value <= high:
        raise ValidationError({name: [f"Must be between {low} and {high}."]})
    return value


class _AnalyticsApi(APIView):
    permission_classes = [IsActiveUser]

    def filter(self, request: Request, project_id: str, *allowed: str) -> selectors.ResultFilter:
        project = selectors.project_for(user=request.user, project_id=project_id)
        return _filter(request, project, *allowed)

    def match(self, request: Request, project_id: str, *allowed: str) -> dict[str, Any]:
        return self.filter(request, project_id, *allowed).to_mongo()


class AnalyticsSummaryApi(_AnalyticsApi):
    @extend_schema(parameters=FILTER_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, project_id: str) -> Response:
        return Response(analytics.summary(self.match(request, project_id)))


class AnalyticsTimelineApi(_AnalyticsApi):
    @extend_schema(
        parameters=[*FILTER_PARAMETERS, OpenApiParameter("bucket", str, enum=list(analytics.BUCKETS))],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, project_id: str) -> Response:
        bucket = request.query_params.get("bucket") or "day"
        if bucket not in analytics.BUCKETS:
            raise ValidationError({"bucket": [f"Use one of {', '.join(analytics.BUCKETS)}."]})
        flt = self.filter(request, project_id, "bucket")
        points = analytics.timeline(flt.to_mongo(), bucket=bucket, tz=flt.tz)
        return Response({"bucket": bucket, "timezone": flt.tz.key, "points": points})


class AnalyticsEmotionsApi(_AnalyticsApi):
    @extend_schema(parameters=[*FILTER_PARAMETERS, OpenApiParameter("top", int)], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, project_id: str) -> Response:
        top = _int_param(request, "top", 10, 1, 50)
        return Response({"emotions": analytics.emotions(self.match(request, project_id, "top"), top=top)})


class AnalyticsTargetsApi(_AnalyticsApi):
    @extend_schema(parameters=FILTER_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, project_id: str) -> Response:
        return Response({"targets": analytics.per_target(self.match(request, project_id))})


class AnalyticsPlatformsApi(_AnalyticsApi):
    @extend_schema(parameters=FILTER_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, project_id: str) -> Response:
        return Response({"platforms": analytics.per_platform(self.match(request, project_id))})


class AnalyticsTopicsApi(_AnalyticsApi):
    @extend_schema(parameters=[*FILTER_PARAMETERS, OpenApiParameter("top", int)], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, project_id: str) -> Response:
        top = _int_param(request, "top", 10, 1, 50)
        return Response(analytics.topics(self.match(request, project_id, "top"), top=top))


class DashboardApi(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(analytics.dashboard(user=request.user))


# ---------------------------------------------------------------- exports


class ExportApi(APIView):
    """``GET projects/{id}/results/export/{csv|json|ndjson|xlsx}`` with the list's filters.

    The format is a path segment, not ``?format=``, which DRF reserves for renderer selection.
    """

    permission_classes = [IsActiveUser]

    @extend_schema(
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(exports.FORMATS)),
            *FILTER_PARAMETERS,
            OpenApiParameter("ordering", str, enum=list(selectors.ORDERINGS)),
        ],
        # One media type per format, as exports.FORMATS answers them (schemathesis checks the
        # Content-Type against these). The JSON export is an array of flat row objects.
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/json"): {"type": "array", "items": {"type": "object", "additionalProperties": True}},
            (200, "application/x-ndjson"): OpenApiTypes.BINARY,
            (200, exports.FORMATS["xlsx"]): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request, project_id: str, fmt: str) -> StreamingHttpResponse:
        if fmt not in exports.FORMATS:
            raise ValidationError({"format": [f"Use one of {', '.join(exports.FORMATS)}."]})
        project = selectors.project_for(user=request.user, project_id=project_id)
        flt = _filter(request, project, "ordering")
        cursor = selectors.results_for_filter(flt, request.query_params.get("ordering") or "-created_at")
        docs = cursor.iterate()
        if fmt == "csv":
            body = exports.stream_csv(docs)
        elif fmt == "json":
            body = exports.stream_json(docs)
        elif fmt == "ndjson":
            body = exports.stream_ndjson(docs)
        else:
            body = exports.write_xlsx(docs, analytics.summary(flt.to_mongo()))
        response = StreamingHttpResponse(body, content_type=exports.FORMATS[fmt])
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="results-{project.pk}-{stamp}.{fmt}"'
        response["Cache-Control"] = "no-store"
        services.results_export_recorded(actor=request.user, project=project, export_format=fmt)
        return response
