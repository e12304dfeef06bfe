from django.urls import path

from projects.api import views

app_name = "projects"

urlpatterns = [
    path("projects", views.ProjectListCreateApi.as_view(), name="project-list"),
    path("projects/<objectid:pk>", views.ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<objectid:pk>/archive", views.ProjectArchiveApi.as_view(), name="project-archive"),
    path("projects/<objectid:pk>/restore", views.ProjectRestoreApi.as_view(), name="project-restore"),
    path("projects/<objectid:pk>/duplicate", views.ProjectDuplicateApi.as_view(), name="project-duplicate"),
    path("projects/<objectid:pk>/targets", views.TargetListCreateApi.as_view(), name="target-list"),
    path("projects/<objectid:pk>/targets/bulk", views.TargetBulkCreateApi.as_view(), name="target-bulk"),
    path("projects/<objectid:pk>/targets/<objectid:target_pk>", views.TargetDetailApi.as_view(), name="target-detail"),
    path("projects/<objectid:pk>/schedule", views.ScheduleApi.as_view(), name="schedule"),
    path("projects/<objectid:pk>/schedule/enable", views.ScheduleEnableApi.as_view(), name="schedule-enable"),
    path("projects/<objectid:pk>/schedule/disable", views.ScheduleDisableApi.as_view(), name="schedule-disable"),
    path("projects/<objectid:pk>/schedule/history", views.ScheduleHistoryApi.as_view(), name="schedule-history"),
    path("projects/<objectid:pk>/schedule/upcoming", views.ScheduleUpcomingApi.as_view(), name="schedule-upcoming"),
    path("presets", views.PresetListCreateApi.as_view(), name="preset-list"),
    path("presets/<str:preset_id>", views.PresetDetailApi.as_view(), name="preset-detail"),
    path("presets/<str:preset_id>/duplicate", views.PresetDuplicateApi.as_view(), name="preset-duplicate"),
]
