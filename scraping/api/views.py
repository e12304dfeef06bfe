"""Scrape jobs API. Thin: selectors scope by tenant (another user's job is a 404), services write."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from scraping import selectors, services
from scraping.api import serializers as s
from scraping.models import ScrapeJob
from sentimatrix.api.pagination import PageNumberPagination
from sentimatrix.api.permissions import IsActiveUser

LIST_PARAMETERS = [
    OpenApiParameter("status", str, enum=ScrapeJob.Status.values),
    OpenApiParameter("trigger", str, enum=ScrapeJob.Trigger.values),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int),
]


class _Base(APIView):
    permission_classes = [IsActiveUser]
    # drf-spectacular documents list responses of a view with a pagination_class as the page
    # ({count, next, previous, results}) that _paginated really answers.
    pagination_class = PageNumberPagination


def _trigger_for(request: Request) -> str:
    # Requests authenticated with a stored API key (integrations) are "api"; people are "manual".
    return ScrapeJob.Trigger.API if type(request.auth).__name__ == "ApiKey" else ScrapeJob.Trigger.MANUAL


def _filters(request: Request) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, allowed in (("status", ScrapeJob.Status.values), ("trigger", ScrapeJob.Trigger.values)):
        value = request.query_params.get(name) or None
        if value is not None and value not in allowed:
            raise serializers.ValidationError({name: [f"One of: {', '.join(allowed)}."]})
        found[name] = value
    return found


def _paginated(request: Request, view: APIView, queryset: Any) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(s.ScrapeJobListSerializer(page, many=True).data)


def _start(request: Request, project_pk: str) -> Response:
    from projects.selectors import project_get

    project = project_get(user=request.user, project_id=project_pk)
    serializer = s.ScrapeJobStartInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    job = services.scrape_job_start(
        actor=request.user,
        project=project,
        trigger=_trigger_for(request),
        options=dict(data["options"]) if "options" in data else None,
        target_ids=data.get("target_ids"),
    )
    job.refresh_from_db()
    return Response(s.ScrapeJobSerializer(job).data, status=status.HTTP_201_CREATED)


class ProjectScrapeApi(_Base):
    @extend_schema(
        operation_id="projects_scrape",
        summary="Start a scrape job for a project",
        request=s.ScrapeJobStartInputSerializer,
        responses={201: s.ScrapeJobSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        return _start(request, pk)


class ProjectJobListApi(_Base):
    @extend_schema(
        operation_id="projects_jobs_list", parameters=LIST_PARAMETERS, responses=s.ScrapeJobListSerializer(many=True)
    )
    def get(self, request: Request, pk: str) -> Response:
        from projects.selectors import project_get

        project = project_get(user=request.user, project_id=pk)
        return _paginated(request, self, selectors.job_list(user=request.user, project=project, **_filters(request)))

    @extend_schema(
        operation_id="projects_jobs_create",
        summary="Start a scrape job for a project (same as POST /projects/{id}/scrape)",
        request=s.ScrapeJobStartInputSerializer,
        responses={201: s.ScrapeJobSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        return _start(request, pk)


class JobListApi(_Base):
    @extend_schema(
        operation_id="jobs_list",
        parameters=[*LIST_PARAMETERS, OpenApiParameter("project", str, pattern="^[0-9a-f]{24}$")],
        responses=s.ScrapeJobListSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        project = None
        project_id = request.query_params.get("project")
        if project_id:
            from projects.selectors import project_get

            project = project_get(user=request.user, project_id=project_id)
        return _paginated(request, self, selectors.job_list(user=request.user, project=project, **_filters(request)))


class JobDetailApi(_Base):
    @extend_schema(operation_id="jobs_retrieve", responses=s.ScrapeJobSerializer)
    def get(self, request: Request, pk: str) -> Response:
        job = selectors.job_get(user=request.user, job_id=pk, with_log=False)
        return Response(s.ScrapeJobSerializer(job).data)


class JobProgressApi(_Base):
    @extend_schema(
        operation_id="jobs_progress",
        summary="Status and progress only (cheap; for polling)",
        responses=s.ScrapeJobProgressSerializer,
    )
    def get(self, request: Request, pk: str) -> Response:
        job = selectors.job_get(user=request.user, job_id=pk, with_log=False)
        return Response(s.ScrapeJobProgressSerializer(job).data)


class JobLogApi(_Base):
    @extend_schema(
        operation_id="jobs_log",
        summary="Per-target events of a job, oldest first",
        parameters=[OpenApiParameter("target_id", str, pattern="^[0-9a-f]{24}$")],
        responses=s.ScrapeJobLogSerializer,
    )
    def get(self, request: Request, pk: str) -> Response:
        job = selectors.job_get(user=request.user, job_id=pk)
        entries = list(job.log)
        target_id = request.query_params.get("target_id")
        if target_id:
            entries = [entry for entry in entries if str(entry.target_id) == target_id]
        return Response(s.ScrapeJobLogSerializer({"id": job.pk, "status": job.status, "entries": entries}).data)


class JobCancelApi(_Base):
    @extend_schema(operation_id="jobs_cancel", request=None, responses=s.ScrapeJobSerializer)
    def post(self, request: Request, pk: str) -> Response:
        job = selectors.job_get(user=request.user, job_id=pk)
        job = services.scrape_job_cancel(actor=request.user, job=job)
        return Response(s.ScrapeJobSerializer(job).data)


class JobRetryApi(_Base):
    @extend_schema(
        operation_id="jobs_retry",
        summary="A new job (trigger retry) for the targets that failed, were cancelled or never ran",
        request=None,
        responses={201: s.ScrapeJobSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        job = selectors.job_get(user=request.user, job_id=pk)
        new_job = services.scrape_job_retry(actor=request.user, job=job)
        new_job.refresh_from_db()
        return Response(s.ScrapeJobSerializer(new_job).data, status=status.HTTP_201_CREATED)
