"""Projects, targets, presets and schedules API. Thin: selectors scope by tenant, services write."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import selectors, services
from projects.api import serializers as s
from projects.models import Project
from sentimatrix.api.pagination import PageNumberPagination
from sentimatrix.api.permissions import IsActiveUser

PROJECT_ORDERING = {"name", "-name", "created_at", "-created_at", "updated_at", "-updated_at", "status", "-status"}


def _validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _paginated(request: Request, view: APIView, queryset: Any, serializer_class: type, **context: Any) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True, context=context).data)


class _Base(APIView):
    permission_classes = [IsActiveUser]
    # drf-spectacular documents list responses of a view with a pagination_class as the page
    # ({count, next, previous, results}) that _paginated really answers.
    pagination_class = PageNumberPagination


# --- projects ---------------------------------------------------------------------------------


class ProjectListCreateApi(_Base):
    @extend_schema(
        operation_id="projects_list",
        parameters=[
            OpenApiParameter("status", str, enum=[c[0] for c in Project.Status.choices]),
            OpenApiParameter("search", str, description="Matches name or description (case-insensitive)."),
            OpenApiParameter("ordering", str, enum=sorted(PROJECT_ORDERING)),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=s.ProjectOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        status_filter = request.query_params.get("status") or None
        if status_filter is not None and status_filter not in Project.Status.values:
            raise serializers.ValidationError({"status": [f"One of: {', '.join(Project.Status.values)}."]})
        ordering = request.query_params.get("ordering") or "-created_at"
        if ordering not in PROJECT_ORDERING:
            raise serializers.ValidationError({"ordering": [f"One of: {', '.join(sorted(PROJECT_ORDERING))}."]})
        search = (request.query_params.get("search") or "").strip()[:200] or None
        queryset = selectors.project_list(user=request.user, status=status_filter, search=search).order_by(ordering)
        return _paginated(request, self, queryset, s.ProjectOutputSerializer)

    @extend_schema(
        operation_id="projects_create",
        request=s.ProjectCreateInputSerializer,
        responses={201: s.ProjectOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.ProjectCreateInputSerializer, request.data)
        project = services.project_create(
            actor=request.user,
            name=data["name"],
            description=data.get("description", ""),
            preset=data.get("preset"),
            config=request.data.get("config") if isinstance(request.data, dict) else None,
        )
        return Response(s.ProjectOutputSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(_Base):
    @extend_schema(operation_id="projects_retrieve", responses=s.ProjectOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        return Response(s.ProjectOutputSerializer(project).data)

    @extend_schema(
        operation_id="projects_partial_update",
        request=s.ProjectUpdateInputSerializer,
        responses=s.ProjectOutputSerializer,
    )
    def patch(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        data = _validated(s.ProjectUpdateInputSerializer, request.data)
        if "config" in data:
            data["config"] = request.data.get("config")  # raw: services merge and validate field by field
        project = services.project_update(actor=request.user, project=project, data=data)
        return Response(s.ProjectOutputSerializer(project).data)

    @extend_schema(operation_id="projects_destroy", responses=s.ProjectDeleteOutputSerializer)
    def delete(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        counts = services.project_delete(actor=request.user, project=project)
        return Response({"deleted": counts})


class ProjectArchiveApi(_Base):
    @extend_schema(operation_id="projects_archive", request=None, responses=s.ProjectOutputSerializer)
    def post(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        return Response(s.ProjectOutputSerializer(services.project_archive(actor=request.user, project=project)).data)


class ProjectRestoreApi(_Base):
    @extend_schema(operation_id="projects_restore", request=None, responses=s.ProjectOutputSerializer)
    def post(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        return Response(s.ProjectOutputSerializer(services.project_restore(actor=request.user, project=project)).data)


class ProjectDuplicateApi(_Base):
    @extend_schema(
        operation_id="projects_duplicate",
        request=s.ProjectDuplicateInputSerializer,
        responses={201: s.ProjectOutputSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        data = _validated(s.ProjectDuplicateInputSerializer, request.data or {})
        copy = services.project_duplicate(
            actor=request.user, project=project, name=data.get("name"), include_targets=data["include_targets"]
        )
        return Response(s.ProjectOutputSerializer(copy).data, status=status.HTTP_201_CREATED)


# --- targets ----------------------------------------------------------------------------------


class TargetListCreateApi(_Base):
    @extend_schema(
        operation_id="projects_targets_list",
        parameters=[
            OpenApiParameter("status", str, enum=["active", "paused", "error", "blocked"]),
            OpenApiParameter("platform", str),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=s.TargetOutputSerializer(many=True),
    )
    def get(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        queryset = selectors.target_list(
            user=request.user,
            project=project,
            status=request.query_params.get("status") or None,
            platform=request.query_params.get("platform") or None,
        )
        return _paginated(request, self, queryset, s.TargetOutputSerializer)

    @extend_schema(
        operation_id="projects_targets_create",
        request=s.TargetCreateInputSerializer,
        responses={201: s.TargetOutputSerializer},
    )
    def post(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        data = _validated(s.TargetCreateInputSerializer, request.data)
        target = services.target_add(actor=request.user, project=project, **data)
        return Response(s.TargetOutputSerializer(target).data, status=status.HTTP_201_CREATED)


class TargetBulkCreateApi(_Base):
    @extend_schema(
        operation_id="projects_targets_bulk_create",
        request=s.BulkTargetInputSerializer,
        responses=s.BulkTargetOutputSerializer,
    )
    def post(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        data = _validated(s.BulkTargetInputSerializer, request.data)
        results = services.target_bulk_add(actor=request.user, project=project, items=data["targets"])
        return Response(s.BulkTargetOutputSerializer({"results": results, **services.bulk_counts(results)}).data)


class TargetDetailApi(_Base):
    def _target(self, request: Request, pk: str, target_pk: str) -> Any:
        project = selectors.project_get(user=request.user, project_id=pk)
        return selectors.target_get(user=request.user, target_id=target_pk, project=project)

    @extend_schema(operation_id="projects_targets_retrieve", responses=s.TargetOutputSerializer)
    def get(self, request: Request, pk: str, target_pk: str) -> Response:
        return Response(s.TargetOutputSerializer(self._target(request, pk, target_pk)).data)

    @extend_schema(
        operation_id="projects_targets_partial_update",
        request=s.TargetUpdateInputSerializer,
        responses=s.TargetOutputSerializer,
    )
    def patch(self, request: Request, pk: str, target_pk: str) -> Response:
        target = self._target(request, pk, target_pk)
        data = _validated(s.TargetUpdateInputSerializer, request.data)
        target = services.target_update(actor=request.user, target=target, data=data)
        return Response(s.TargetOutputSerializer(target).data)

    @extend_schema(operation_id="projects_targets_destroy", responses=s.ProjectDeleteOutputSerializer)
    def delete(self, request: Request, pk: str, target_pk: str) -> Response:
        target = self._target(request, pk, target_pk)
        return Response({"deleted": services.target_delete(actor=request.user, target=target)})


# --- schedule ---------------------------------------------------------------------------------


class ScheduleApi(_Base):
    @extend_schema(operation_id="projects_schedule_retrieve", responses=s.ScheduleOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        return Response(s.ScheduleOutputSerializer(project.config.schedule).data)

    @extend_schema(
        operation_id="projects_schedule_update",
        request=s.ScheduleConfigSerializer,
        responses=s.ScheduleOutputSerializer,
    )
    def put(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        project = services.schedule_set(actor=request.user, project=project, data=request.data)
        return Response(s.ScheduleOutputSerializer(project.config.schedule).data)


class ScheduleEnableApi(_Base):
    enabled = True

    @extend_schema(request=None, responses=s.ScheduleOutputSerializer)
    def post(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        toggle = services.schedule_enable if self.enabled else services.schedule_disable
        project = toggle(actor=request.user, project=project)
        return Response(s.ScheduleOutputSerializer(project.config.schedule).data)


class ScheduleDisableApi(ScheduleEnableApi):
    enabled = False


class ScheduleHistoryApi(_Base):
    @extend_schema(operation_id="projects_schedule_history", responses=s.ScheduleHistoryOutputSerializer)
    def get(self, request: Request, pk: str) -> Response:
        project = selectors.project_get(user=request.user, project_id=pk)
        return Response(
            s.ScheduleHistoryOutputSerializer({"results": selectors.schedule_history(project=project)}).data
        )


class ScheduleUpcomingApi(_Base):
    @extend_schema(
        operation_id="projects_schedule_upcoming",
        parameters=[OpenApiParameter("count", OpenApiTypes.INT, description="1-50, default 5")],
        responses=s.UpcomingRunsOutputSerializer,
    )
    def get(self, request: Request, pk: str) -> Response:
        """The next runs of the saved schedule (even while disabled, to preview it)."""
        project = selectors.project_get(user=request.user, project_id=pk)
        data = _validated(s.SchedulePreviewInputSerializer, {"count": request.query_params.get("count", 5)})
        return Response(selectors.schedule_upcoming(project=project, count=data["count"]))

    @extend_schema(
        operation_id="projects_schedule_preview",
        request=s.SchedulePreviewInputSerializer,
        responses=s.UpcomingRunsOutputSerializer,
    )
    def post(self, request: Request, pk: str) -> Response:
        """Preview the next runs of a rule (fields not given: the saved ones) without saving it."""
        project = selectors.project_get(user=request.user, project_id=pk)
        data = _validated(s.SchedulePreviewInputSerializer, request.data, partial=True)
        count = data.pop("count", 5)
        return Response(selectors.schedule_upcoming(project=project, count=count, changes=data))


# --- presets ----------------------------------------------------------------------------------


class PresetListCreateApi(_Base):
    @extend_schema(operation_id="presets_list", responses=s.PresetOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return _paginated(request, self, selectors.preset_list(user=request.user), s.PresetOutputSerializer,
                          user=request.user)  # fmt: skip

    @extend_schema(
        operation_id="presets_create", request=s.PresetCreateInputSerializer, responses={201: s.PresetOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.PresetCreateInputSerializer, request.data)
        preset = services.preset_create(
            actor=request.user,
            name=data["name"],
            description=data.get("description", ""),
            base=data.get("base"),
            config=request.data.get("config"),
        )
        return Response(
            s.PresetOutputSerializer(preset, context={"user": request.user}).data, status=status.HTTP_201_CREATED
        )


class PresetDetailApi(_Base):
    @extend_schema(operation_id="presets_retrieve", responses=s.PresetOutputSerializer)
    def get(self, request: Request, preset_id: str) -> Response:
        preset = selectors.preset_get(user=request.user, preset_id=preset_id)
        return Response(s.PresetOutputSerializer(preset, context={"user": request.user}).data)

    @extend_schema(
        operation_id="presets_partial_update", request=s.PresetUpdateInputSerializer, responses=s.PresetOutputSerializer
    )
    def patch(self, request: Request, preset_id: str) -> Response:
        preset = selectors.preset_get(user=request.user, preset_id=preset_id)
        data = _validated(s.PresetUpdateInputSerializer, request.data)
        if "config" in data:
            data["config"] = request.data.get("config")
        preset = services.preset_update(actor=request.user, preset=preset, data=data)
        return Response(s.PresetOutputSerializer(preset, context={"user": request.user}).data)

    @extend_schema(operation_id="presets_destroy", responses={204: None})
    def delete(self, request: Request, preset_id: str) -> Response:
        preset = selectors.preset_get(user=request.user, preset_id=preset_id)
        services.preset_delete(actor=request.user, preset=preset)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PresetDuplicateApi(_Base):
    @extend_schema(
        operation_id="presets_duplicate",
        request=s.PresetDuplicateInputSerializer,
        responses={201: s.PresetOutputSerializer},
    )
    def post(self, request: Request, preset_id: str) -> Response:
        preset = selectors.preset_get(user=request.user, preset_id=preset_id)
        data = _validated(s.PresetDuplicateInputSerializer, request.data or {})
        copy = services.preset_duplicate(actor=request.user, preset=preset, name=data.get("name"))
        return Response(
            s.PresetOutputSerializer(copy, context={"user": request.user}).data, status=status.HTTP_201_CREATED
        )
