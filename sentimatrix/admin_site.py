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


class ActPermissionMixin:
    """Admin actions declared with ``permissions=["act"]`` need the model's change permission.

    Read-only admins turn the change form off (``has_change_permission`` is False), which would hide
    Django's ``permissions=["change"]`` actions from everyone; the actions still change state through
    the audited services, so they are gated on ``<app>.change_<model>`` (the Support group's grant).
    """

    opts: Any

    def has_act_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")
