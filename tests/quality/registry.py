"""Every API endpoint, discovered from the URL configuration, and how to build objects for it.

The tenant-isolation matrix and the fuzzer both start from ``discover()``: a walk over the real URL
resolver, so a new route is seen the moment it is added. A route with a path parameter is an *object
endpoint*; each one must be listed in ``OBJECT_BUILDERS`` (URL name -> a function that creates the
objects for a user and returns the URL kwargs) or in ``NOT_TENANT_OBJECTS`` with the reason it holds
no tenant data. An unknown name fails the isolation test with a message that says what to add.

Builders return a ``Built``: the kwargs for ``reverse`` and every id and marker string that belongs to
the owner, so list and export responses of another user can be searched for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "api/v1/"
SKIP_METHODS = frozenset({"options", "head", "trace"})
_counter = itertools.count(1)


@dataclass(frozen=True)
class Endpoint:
    route: str  # "api/v1/api-keys/<objectid:pk>"
    name: str | None  # "integrations:api-key-detail"
    params: tuple[str, ...]  # path parameters in order
    methods: tuple[str, ...]  # lower-case HTTP methods the view implements (options/head left out)
    callback: Any = field(compare=False, repr=False)

    @property
    def is_object(self) -> bool:
        return bool(self.params)


def _methods(callback: Any) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)  # a ViewSet bound to its method -> action map
    if actions:
        return tuple(sorted(m for m in actions if m not in SKIP_METHODS))
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return ("get",)
    names = getattr(view_class, "http_method_names", ["get", "post", "put", "patch", "delete"])
    return tuple(sorted(m for m in names if m not in SKIP_METHODS and hasattr(view_class, m)))


def _walk(patterns: list, prefix: str, namespace: str | None, params: tuple[str, ...]) -> Iterator[Endpoint]:
    for pattern in patterns:
        converters = tuple(getattr(pattern.pattern, "converters", {}) or {})
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns, params + converters)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield Endpoint(
                route=prefix + str(pattern.pattern),
                name=name,
                params=params + converters,
                methods=_methods(pattern.callback),
                callback=pattern.callback,
            )


def discover() -> list[Endpoint]:
    """Every route under /api/v1/ (the versioned API; schema, docs and auth pages are not tenant data)."""
    return [e for e in _walk(get_resolver().url_patterns, "", None, ()) if e.route.startswith(API_PREFIX)]


def object_endpoints() -> list[Endpoint]:
    return [e for e in discover() if e.is_object]


def list_endpoints() -> list[Endpoint]:
    return [e for e in discover() if not e.is_object and "get" in e.methods]


# ------------------------------------------------------------------------------------------- builders


@dataclass
class Built:
    kwargs: dict[str, str]
    ids: list[str]  # ids of everything created for the owner (searched for in other users' responses)
    markers: list[str] = field(default_factory=list)  # unique strings stored in the owner's objects


Builder = Callable[[Any], Built]


def marker(kind: str) -> str:
    return f"tenant-A-{kind}-{next(_counter):05d}"


@dataclass
class Graph:
    """One of everything a tenant can own, built through the apps' factories and services."""

    ids: dict[str, str]
    markers: list[str]

    def built(self, **kwargs: str) -> Built:
        return Built(dict(kwargs), sorted(set(self.ids.values())), list(self.markers))


def owner_graph(user: Any) -> Graph:
    from results.models import AnalysisJob
    from scraping.services import scrape_job_start
    from tests.factories_integrations import make_alert, make_api_key, make_delivery, make_webhook
    from tests.factories_projects import PresetFactory, ProjectFactory, TargetFactory
    from tests.factories_results import make_result

    markers = {kind: marker(kind) for kind in ("project", "target", "preset", "apikey", "webhook", "result")}
    project = ProjectFactory(user=user, name=markers["project"])
    target = TargetFactory(project=project, label=markers["target"])
    job = scrape_job_start(actor=user, project=project, trigger="manual", enqueue=False)
    result_id = make_result(target=target, text=f"{markers['result']} great product", scrape_job_id=job.pk)
    analysis_job = AnalysisJob.objects.create(user=user, project_id=project.pk, analyzer="local-fast", options={})
    preset = PresetFactory(user=user, name=markers["preset"])
    api_key = make_api_key(user=user, provider="openai", name=markers["apikey"])
    webhook, _secret = make_webhook(user=user, label=markers["webhook"], project=project)
    delivery = make_delivery(webhook=webhook)
    alert = make_alert(project=project)
    ids = {
        "project": project.pk, "target": target.pk, "job": job.pk, "result": result_id,
        "analysis_job": analysis_job.pk, "preset": preset.pk, "api_key": api_key.pk, "webhook": webhook.pk,
        "delivery": delivery.pk, "alert": alert.pk,
    }  # fmt: skip
    return Graph({k: str(v) for k, v in ids.items()}, list(markers.values()))


def _by(**spec: str) -> Builder:
    """A builder giving URL kwargs from the owner's graph: ``_by(pk="project")`` -> {"pk": <project id>};
    a value starting with ``=`` is literal (``fmt="=csv"``)."""

    def build(user: Any) -> Built:
        graph = owner_graph(user)
        kwargs = {name: kind[1:] if kind.startswith("=") else graph.ids[kind] for name, kind in spec.items()}
        return graph.built(**kwargs)

    return build


_PROJECT = _by(pk="project")
_PROJECT_ID = _by(project_id="project")

# URL name -> builder. Every object endpoint must be here or in NOT_TENANT_OBJECTS.
OBJECT_BUILDERS: dict[str, Builder] = {
    # integrations
    "integrations:api-key-detail": _by(pk="api_key"),
    "integrations:api-key-validate": _by(pk="api_key"),
    "integrations:project-alerts": _PROJECT,
    "integrations:project-alert-rule": _PROJECT,
    "integrations:webhook-detail": _by(pk="webhook"),
    "integrations:webhook-enable": _by(pk="webhook"),
    "integrations:webhook-disable": _by(pk="webhook"),
    "integrations:webhook-rotate": _by(pk="webhook"),
    "integrations:webhook-test": _by(pk="webhook"),
    "integrations:delivery-list": _by(pk="webhook"),
    "integrations:delivery-detail": _by(pk="webhook", delivery_pk="delivery"),
    "integrations:delivery-redeliver": _by(pk="webhook", delivery_pk="delivery"),
    # projects
    "projects:project-detail": _PROJECT,
    "projects:project-archive": _PROJECT,
    "projects:project-restore": _PROJECT,
    "projects:project-duplicate": _PROJECT,
    "projects:target-list": _PROJECT,
    "projects:target-bulk": _PROJECT,
    "projects:target-detail": _by(pk="project", target_pk="target"),
    "projects:schedule": _PROJECT,
    "projects:schedule-enable": _PROJECT,
    "projects:schedule-disable": _PROJECT,
    "projects:schedule-history": _PROJECT,
    "projects:schedule-upcoming": _PROJECT,
    "projects:preset-detail": _by(preset_id="preset"),
    "projects:preset-duplicate": _by(preset_id="preset"),
    # scraping
    "scraping:project-scrape": _PROJECT,
    "scraping:project-jobs": _PROJECT,
    "scraping:job-detail": _by(pk="job"),
    "scraping:job-progress": _by(pk="job"),
    "scraping:job-log": _by(pk="job"),
    "scraping:job-cancel": _by(pk="job"),
    "scraping:job-retry": _by(pk="job"),
    # results
    "results:project-results": _PROJECT_ID,
    "results:project-export": _by(project_id="project", fmt="=csv"),
    "results:project-analyze": _PROJECT_ID,
    "results:project-analysis-jobs": _PROJECT_ID,
    "results:analytics-summary": _PROJECT_ID,
    "results:analytics-timeline": _PROJECT_ID,
    "results:analytics-emotions": _PROJECT_ID,
    "results:analytics-targets": _PROJECT_ID,
    "results:analytics-platforms": _PROJECT_ID,
    "results:analytics-topics": _PROJECT_ID,
    "results:result-detail": _by(pk="result"),
    "results:result-reanalyze": _by(pk="result"),
    "results:analysis-job-detail": _by(pk="analysis_job"),
}

# URL name -> why its path parameter names no tenant object.
NOT_TENANT_OBJECTS: dict[str, str] = {
    "accounts:oauth-start": "the parameter is an OAuth provider name (google, github), not an object",
    "accounts:oauth-callback": "the parameter is an OAuth provider name (google, github), not an object",
}

# Extra query strings to try on list endpoints with the owner's ids (filters must not cross tenants).
ID_QUERY_PARAMS = ("project", "project_id", "target", "target_id", "job", "job_id", "scrape_job", "webhook", "ids")


def build_all(user: Any) -> Graph:
    """Everything a tenant can own, once, for ``user``."""
    return owner_graph(user)
