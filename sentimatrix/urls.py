from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import sentimatrix.api.converters  # noqa: F401 - registers <objectid:...>
from sentimatrix import health
from sentimatrix.api import errors

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("projects.api.urls")),
    path("", include("scraping.api.urls")),
    path("", include("results.api.urls")),
    path("", include("integrations.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/auth/", include("rest_framework.urls")),  # session login for the browsable API
    path("api/v1/", include(api_v1)),
    # Unknown /api/ routes answer with the JSON envelope even with DEBUG on, where Django would
    # otherwise render its HTML technical 404 page and never call handler404. CSRF-exempt: it only
    # answers 404, and otherwise a DELETE/POST to an unknown route got Django's HTML 403 CSRF page.
    re_path(r"^api/", csrf_exempt(errors.handler404), name="api-not-found"),
]

handler400 = "sentimatrix.api.errors.handler400"
handler403 = "sentimatrix.api.errors.handler403"
handler404 = "sentimatrix.api.errors.handler404"
handler500 = "sentimatrix.api.errors.handler500"
