from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse


class SentimatrixAdminSite(AdminSite):
    site_header = "Sentimatrix Studio — support"
    site_title = "Sentimatrix Studio"
    index_title = "Support"
    index_template = "admin/sentimatrix_index.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        from sentimatrix.admin_dashboard import build_dashboard

        context = {"dashboard": build_dashboard(request.user), **(extra_context or {})}
        return super().index(request, extra_context=context)
