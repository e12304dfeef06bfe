from django.urls import path

from scraping.api import views

app_name = "scraping"

urlpatterns = [
    path("projects/<objectid:pk>/scrape", views.ProjectScrapeApi.as_view(), name="project-scrape"),
    path("projects/<objectid:pk>/jobs", views.ProjectJobListApi.as_view(), name="project-jobs"),
    path("jobs", views.JobListApi.as_view(), name="job-list"),
    path("jobs/<objectid:pk>", views.JobDetailApi.as_view(), name="job-detail"),
    path("jobs/<objectid:pk>/progress", views.JobProgressApi.as_view(), name="job-progress"),
    path("jobs/<objectid:pk>/log", views.JobLogApi.as_view(), name="job-log"),
    path("jobs/<objectid:pk>/cancel", views.JobCancelApi.as_view(), name="job-cancel"),
    path("jobs/<objectid:pk>/retry", views.JobRetryApi.as_view(), name="job-retry"),
]
