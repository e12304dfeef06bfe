from django.urls import path

import sentimatrix.api.converters  # noqa: F401 - registers <objectid:...>
from results.api import views

app_name = "results"

urlpatterns = [
    path("projects/<objectid:project_id>/results", views.ProjectResultsApi.as_view(), name="project-results"),
    path("projects/<objectid:project_id>/results/export/<str:fmt>", views.ExportApi.as_view(), name="project-export"),
    path("projects/<objectid:project_id>/analyze", views.ProjectAnalyzeApi.as_view(), name="project-analyze"),
    path(
        "projects/<objectid:project_id>/analysis-jobs",
        views.ProjectAnalysisJobsApi.as_view(),
        name="project-analysis-jobs",
    ),
    path(
        "projects/<objectid:project_id>/analytics/summary",
        views.AnalyticsSummaryApi.as_view(),
        name="analytics-summary",
    ),
    path(
        "projects/<objectid:project_id>/analytics/timeline",
        views.AnalyticsTimelineApi.as_view(),
        name="analytics-timeline",
    ),
    path(
        "projects/<objectid:project_id>/analytics/emotions",
        views.AnalyticsEmotionsApi.as_view(),
        name="analytics-emotions",
    ),
    path(
        "projects/<objectid:project_id>/analytics/targets",
        views.AnalyticsTargetsApi.as_view(),
        name="analytics-targets",
    ),
    path(
        "projects/<objectid:project_id>/analytics/platforms",
        views.AnalyticsPlatformsApi.as_view(),
        name="analytics-platforms",
    ),
    path(
        "projects/<objectid:project_id>/analytics/topics", views.AnalyticsTopicsApi.as_view(), name="analytics-topics"
    ),
    path("analytics/dashboard", views.DashboardApi.as_view(), name="analytics-dashboard"),
    path("results/<objectid:pk>", views.ResultDetailApi.as_view(), name="result-detail"),
    path("results/<objectid:pk>/reanalyze", views.ResultReanalyzeApi.as_view(), name="result-reanalyze"),
    path("analysis-jobs/<objectid:pk>", views.AnalysisJobDetailApi.as_view(), name="analysis-job-detail"),
]
