"""Writes for projects, targets, presets and schedules. Every service that a user triggers takes the
acting user and records an audit event; plan limits are enforced here, not in views.

Concurrency (transactions are not available on every deployment): writes that touch part of a
project go through single-document ``$set``/``$inc``/``$push`` updates on the raw collection, so a
schedule run recorded by the worker and a rename from the API never overwrite each other; the
unique (project, url) index is the guard against duplicate targets.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connections
from django.utils import timezone
from django.utils.text import slugify
from rest_framework import serializers

from accounts.plans import allows_llm_provider, allows_preset, plan_limits
from accounts.quotas import quota_check, quota_release, quota_reserve
from audit.services import record
from projects import config as cfg
from projects import schedule_math
from projects.models import SCHEDULE_HISTORY_SIZE, Preset, Project, ProjectConfig, Target
from sentimatrix.api.errors import ConflictError, ForbiddenError, NotFoundError, QuotaExceededError

logger = logging.getLogger(__name__)

BULK_TARGETS_MAX = 50
USER_TARGET_STATUSES = ("active", "paused")
USER_PROJECT_STATUSES = ("active", "paused")
MAX_METADATA_BYTES = 10_000


# --- helpers ------------------------------------------------------------------------------------


def _collection(model: type) -> Any:
    return connections["default"].get_collection(model._meta.db_table)


def _config_doc(config: ProjectConfig) -> dict[str, Any]:
    return Project._meta.get_field("config").get_db_prep_save(config, connections["default"])


def _set(project: Project, values: Mapping[str, Any], *, extra: Mapping[str, Any] | None = None) -> Project:
    update: dict[str, Any] = {"$set": {**values, "updated_at": timezone.now()}}
    if extra:
        update.update(extra)
    _collection(Project).update_one({"_id": project.pk}, update)
    project.refresh_from_db()
    return project


def _llm_plan_check(user: Any, provider: str) -> None:
    if not allows_llm_provider(user.plan, provider):
        allowed = plan_limits(user.plan).llm_providers or ()
        record(event_type="quota.exceeded", actor=user, success=False, metadata={"limit": "llm_providers"})
        raise QuotaExceededError(
            limit="llm_providers",
            value=len(allowed),
            message=f"Your {user.plan} plan cannot use the LLM provider '{provider}'; "
            f"allowed: {', '.join(allowed)}. Upgrade to use it.",
        )


def _preset_plan_check(user: Any, slug: str) -> None:
    if not allows_preset(user.plan, slug):
        allowed = plan_limits(user.plan).presets
        record(event_type="quota.exceeded", actor=user, success=False, metadata={"limit": "presets", "preset": slug})
        raise QuotaExceededError(
            limit="presets",
            value=len(allowed),
            message=f"The '{slug}' preset is not part of your {user.plan} plan; allowed: {', '.join(allowed)}.",
        )


def _next_run(schedule: Mapping[str, Any], *, active: bool, after: datetime | None = None) -> datetime | None:
    """UTC ``next_run_at`` of a schedule dict; null while disabled or while the project is not active."""
    if not schedule.get("enabled") or not active:
        return None
    rule = cfg.rule_from(schedule)
    return schedule_math.next_run_at(rule, after or timezone.now())


def _schedule_doc(schedule: Mapping[str, Any]) -> dict[str, Any]:
    """The rule fields of a schedule as stored (history and last run are left alone)."""
    return {
        "enabled": bool(schedule.get("enabled")),
        "frequency": schedule["frequency"],
        "time": schedule["time"],
        "timezone": schedule["timezone"],
        "days_of_week": list(schedule.get("days_of_week") or []),
        "day_of_month": schedule.get("day_of_month"),
    }


def _resolve_preset(user: Any, preset: Any) -> Preset:
    from projects.selectors import preset_get

    if preset in (None, ""):
        default = getattr(getattr(user, "settings", None), "default_preset", None) or "standard"
        preset = default if allows_preset(user.plan, default) else plan_limits(user.plan).presets[0]
    try:
        return preset_get(user=user, preset_id=preset)
    except NotFoundError:
        raise serializers.ValidationError(
            {"preset": [f"Unknown preset '{preset}'. Use a system preset slug or one of your presets' ids."]}
        ) from None


# --- projects -----------------------------------------------------------------------------------


def project_create(
    *,
    actor: Any,
    name: str,
    description: str = "",
    preset: Any = None,
    config: Mapping[str, Any] | None = None,
) -> Project:
    """Create a project from a preset (system slug or custom preset id), overriding config fields.

    Raises ValidationError (bad fields, with paths), QuotaExceededError (projects count, preset or
    LLM provider not in the plan).
    """
    user = actor
    source = _resolve_preset(user, preset)
    if source.is_system:
        _preset_plan_check(user, source.slug)
    override = cfg.validate_override(config or {})
    base = cfg.to_dict(source.config) or {}
    base["schedule"].update(next_run_at=None, last_run_at=None, history=[])
    if "timezone" not in override.get("schedule", {}):
        base["schedule"]["timezone"] = getattr(getattr(user, "settings", None), "timezone", None) or "UTC"
    merged = cfg.validate_full(cfg.deep_merge(base, override))
    _llm_plan_check(user, merged["llm"]["provider"])
    merged["schedule"]["next_run_at"] = _next_run(merged["schedule"], active=True)

    quota_reserve(user=user, limit="projects")
    try:
        project = Project.objects.create(
            user=user,
            name=name,
            description=description or "",
            preset=source.slug if source.is_system else "custom",
            preset_ref=None if source.is_system else source.pk,
            config=cfg.config_from(merged),
        )
    except Exception:
        quota_release(user=user, limit="projects")
        raise
    record(
        event_type="project.create",
        actor=user,
        metadata={"project_id": str(project.pk), "preset": project.preset, "name": name},
    )
    return project


def _require_not_archived(project: Project) -> None:
    if project.status == Project.Status.ARCHIVED:
        raise ConflictError("This project is archived; restore it before changing it.", code="project_archived")


def project_update(*, actor: Any, project: Project, data: Mapping[str, Any]) -> Project:
    """Partial update: name, description, status (active/paused) and config (merged field by field)."""
    _require_not_archived(project)
    values: dict[str, Any] = {}
    changed: list[str] = []
    for key in ("name", "description"):
        if key in data:
            values[key] = data[key]
            changed.append(key)
    status = data.get("status", project.status)
    if "status" in data:
        if status not in USER_PROJECT_STATUSES:
            raise serializers.ValidationError(
                {"status": ["Set status to active or paused; use the archive endpoint to archive."]}
            )
        values["status"] = status
        changed.append("status")
    current = cfg.to_dict(project.config) or {}
    merged = current
    if data.get("config"):
        override = cfg.validate_override(data["config"])
        merged = cfg.validate_full(cfg.deep_merge(current, override))
        if merged["llm"]["provider"] != current["llm"]["provider"]:
            _llm_plan_check(actor, merged["llm"]["provider"])
        doc = _config_doc(cfg.config_from(merged))
        for section in ("scrapers", "llm", "analysis", "limits"):
            if section in override:
                values[f"config.{section}"] = doc[section]
                changed.append(f"config.{section}")
        if "schedule" in override:
            for key, value in _schedule_doc(merged["schedule"]).items():
                values[f"config.schedule.{key}"] = value
            changed.append("config.schedule")
    if "status" in data or "schedule" in (data.get("config") or {}):
        values["config.schedule.next_run_at"] = _next_run(merged["schedule"], active=status == "active")
    if not values:
        return project
    _set(project, values)
    record(
        event_type="project.update",
        actor=actor,
        user=project.user,
        metadata={"project_id": str(project.pk), "fields": changed},
    )
    return project


def project_archive(*, actor: Any, project: Project) -> Project:
    """Archive: hidden from the active list, schedule stops (next_run_at null), data kept."""
    if project.status == Project.Status.ARCHIVED:
        return project
    now = timezone.now()
    _set(project, {"status": "archived", "archived_at": now, "config.schedule.next_run_at": None})
    record(event_type="project.archive", actor=actor, user=project.user, metadata={"project_id": str(project.pk)})
    return project


def project_restore(*, actor: Any, project: Project) -> Project:
    if project.status != Project.Status.ARCHIVED:
        raise ConflictError("Only an archived project can be restored.", code="project_not_archived")
    schedule = cfg.to_dict(project.config.schedule) or {}
    _set(
        project,
        {"status": "active", "archived_at": None, "config.schedule.next_run_at": _next_run(schedule, active=True)},
    )
    record(event_type="project.restore", actor=actor, user=project.user, metadata={"project_id": str(project.pk)})
    return project


def project_duplicate(
    *, actor: Any, project: Project, name: str | None = None, include_targets: bool = False
) -> Project:
    """A copy of the project's config (and, if asked, its targets), with fresh stats and history."""
    targets = list(Target.objects.filter(project=project)) if include_targets else []
    if targets:
        quota_check(user=actor, limit="targets_per_project", used=0, adding=len(targets))
    _llm_plan_check(actor, project.config.llm.provider)
    config = cfg.to_dict(project.config) or {}
    config["schedule"].update(last_run_at=None, history=[])
    config["schedule"]["next_run_at"] = _next_run(config["schedule"], active=True)
    quota_reserve(user=actor, limit="projects")
    try:
        copy = Project.objects.create(
            user=actor,
            name=(name or f"{project.name} (copy)")[:200],
            description=project.description,
            preset=project.preset,
            preset_ref=project.preset_ref,
            config=cfg.config_from(config),
        )
    except Exception:
        quota_release(user=actor, limit="projects")
        raise
    if targets:
        Target.objects.bulk_create(
            [
                Target(
                    project=copy, user=actor, url=t.url, source_url=t.source_url, label=t.label,
                    platform=t.platform, detected_type=t.detected_type, platform_data=t.platform_data,
                    needs_resolution=t.needs_resolution, options=t.options, metadata=t.metadata,
                    status="paused" if t.status == "paused" else "active",
                )
                for t in targets
            ]
        )  # fmt: skip
        _collection(Project).update_one({"_id": copy.pk}, {"$set": {"stats.total_targets": len(targets)}})
        copy.refresh_from_db()
    record(
        event_type="project.duplicate",
        actor=actor,
        metadata={"project_id": str(copy.pk), "source_project_id": str(project.pk), "targets": len(targets)},
    )
    return copy


def project_delete(*, actor: Any, project: Project) -> dict[str, int]:
    """Delete the project and everything under it; return how many of each were deleted."""
    project_id, schedules = str(project.pk), int(bool(project.config.schedule.enabled))
    owner = project.user  # the owner's count is released, also when support staff delete it
    counts = {"targets": 0, "scrape_jobs": 0, "results": 0, "analysis_jobs": 0}
    # Results and analysis jobs reference the project by id, not by ForeignKey (results/models.py),
    # so the ORM cascade does not reach them: the results app deletes them, first, so a failure
    # leaves the project in place to retry.
    if apps.is_installed("results"):
        from results.models import AnalysisJob
        from results.services import results_delete_for_project

        counts["analysis_jobs"] = AnalysisJob.objects.filter(project_id=project.pk).count()
        counts["results"] = results_delete_for_project(project=project)
    _, per_model = project.delete()
    for label, count in per_model.items():
        counts[apps.get_model(label)._meta.db_table] = count
    counts.pop("projects", None)
    counts["schedules"] = schedules
    quota_release(user=owner, limit="projects")
    record(
        event_type="project.delete",
        actor=actor,
        user=owner,
        metadata={"project_id": project_id, "deleted": counts},
    )
    return counts


# --- targets ------------------------------------------------------------------------------------


class TargetOptionsSerializer(cfg.StrictSerializer):
    country = serializers.RegexField(r"^([A-Za-z]{2})?$", allow_blank=True, required=False, max_length=2)
    language = serializers.CharField(allow_blank=True, required=False, max_length=32)
    sort_by = serializers.CharField(allow_blank=True, required=False, max_length=32)
    filter = serializers.DictField(required=False)


def _check_keys(value: Any, path: str) -> None:
    # MongoDB field names may not start with "$" or contain "."; user metadata must not smuggle either.
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not key or key.startswith("$") or "." in key:
                raise serializers.ValidationError(
                    {path: [f"Invalid key {key!r}: keys may not start with $ or contain '.'."]}
                )
            _check_keys(item, path)
    elif isinstance(value, list):
        for item in value:
            _check_keys(item, path)


def _clean_metadata(metadata: Any) -> dict[str, Any]:
    import json

    if not isinstance(metadata, Mapping):
        raise serializers.ValidationError({"metadata": ["Must be a JSON object."]})
    _check_keys(metadata, "metadata")
    if len(json.dumps(metadata, default=str)) > MAX_METADATA_BYTES:
        raise serializers.ValidationError({"metadata": [f"Must be at most {MAX_METADATA_BYTES} bytes of JSON."]})
    return dict(metadata)


def _clean_options(options: Any, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    serializer = TargetOptionsSerializer(data=options, partial=True)
    if not serializer.is_valid():
        raise serializers.ValidationError({"options": serializer.errors})
    clean = dict(serializer.validated_data)
    if "filter" in clean:
        _check_keys(clean["filter"], "options")
    if "country" in clean:
        clean["country"] = clean["country"].upper()
    return {**(current or {}), **clean}


def _parse(url: Any) -> Any:
    from scraping.platforms.base import UrlParseError
    from scraping.platforms.urls import parse_target_url

    try:
        return parse_target_url(url)
    except UrlParseError as exc:
        raise serializers.ValidationError({"url": [exc.reason]}) from None


def _target_from(
    project: Project, actor: Any, parsed: Any, source: str, label: str, options: Any, metadata: Any
) -> Target:
    from projects.models import TargetOptions

    return Target(
        project=project,
        user=actor,
        url=parsed.canonical_url,
        source_url=str(source).strip()[:2048],
        label=(label or "")[:200],
        platform=parsed.platform,
        detected_type=parsed.detected_type,
        platform_data=dict(parsed.platform_data),
        needs_resolution=bool(parsed.needs_resolution),
        options=cfg.from_dict(TargetOptions, options or {}),
        metadata=metadata or {},
    )


def target_add(
    *,
    actor: Any,
    project: Project,
    url: str,
    label: str = "",
    options: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Target:
    """Add one URL: parsed to platform + ids (400 if no platform understands it), 409 if already there."""
    _require_not_archived(project)
    parsed = _parse(url)
    clean_options = _clean_options(options or {})
    clean_metadata = _clean_metadata(metadata or {})
    existing = Target.objects.filter(project=project, url=parsed.canonical_url).first()
    if existing is not None:
        raise ConflictError(
            "This link is already a target of the project.", code="duplicate_target",
            details={"target_id": str(existing.pk), "url": existing.url},
        )  # fmt: skip
    quota_check(user=actor, limit="targets_per_project", used=Target.objects.filter(project=project).count())
    target = _target_from(project, actor, parsed, url, label, clean_options, clean_metadata)
    try:
        target.save(force_insert=True)
    except IntegrityError:  # a concurrent add of the same URL won the unique index
        raise ConflictError("This link is already a target of the project.", code="duplicate_target") from None
    _collection(Project).update_one({"_id": project.pk}, {"$inc": {"stats.total_targets": 1}})
    record(
        event_type="target.create",
        actor=actor,
        metadata={"project_id": str(project.pk), "target_id": str(target.pk), "platform": target.platform},
    )
    return target


BULK_STATUSES = ("created", "duplicate", "invalid", "limit_reached")


def bulk_counts(results: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many links of a ``target_bulk_add`` answer ended in each status."""
    return {status: sum(r["status"] == status for r in results) for status in BULK_STATUSES}


def target_bulk_add(*, actor: Any, project: Project, items: Sequence[Any]) -> list[dict[str, Any]]:
    """Add up to 50 URLs; one result per item: ``created`` (with the target), ``duplicate``,
    ``invalid`` (with the reason) or ``limit_reached`` (the plan's targets per project)."""
    _require_not_archived(project)
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)) or not items:
        raise serializers.ValidationError({"targets": ["Send a non-empty list of links."]})
    if len(items) > BULK_TARGETS_MAX:
        raise serializers.ValidationError({"targets": [f"At most {BULK_TARGETS_MAX} links per request."]})
    limit = plan_limits(actor.plan).targets_per_project
    used = Target.objects.filter(project=project).count()
    existing = set(Target.objects.filter(project=project).values_list("url", flat=True))
    results: list[dict[str, Any]] = []
    created: list[Target] = []
    for item in items:
        raw = item.get("url") if isinstance(item, Mapping) else item
        label = item.get("label", "") if isinstance(item, Mapping) else ""
        entry: dict[str, Any] = {"url": raw if isinstance(raw, str) else str(raw)}
        try:
            parsed = _parse(raw)
            if not isinstance(label, str) or len(label) > 200:
                raise serializers.ValidationError({"label": ["A text of at most 200 characters."]})
        except serializers.ValidationError as exc:
            detail = exc.detail
            message = next(iter(detail.values()))[0] if isinstance(detail, dict) else str(detail)
            results.append({**entry, "status": "invalid", "reason": str(message)})
            continue
        if parsed.canonical_url in existing:
            results.append({**entry, "status": "duplicate", "reason": "Already a target of this project."})
            continue
        if limit is not None and used + len(created) >= limit:
            results.append(
                {**entry, "status": "limit_reached", "reason": f"Your plan allows {limit} targets per project."}
            )
            continue
        target = _target_from(project, actor, parsed, raw, label, {}, {})
        try:
            target.save(force_insert=True)
        except IntegrityError:
            results.append({**entry, "status": "duplicate", "reason": "Already a target of this project."})
            continue
        existing.add(target.url)
        created.append(target)
        results.append({**entry, "status": "created", "target": target})
    if created:
        _collection(Project).update_one({"_id": project.pk}, {"$inc": {"stats.total_targets": len(created)}})
    counts = bulk_counts(results)
    record(event_type="target.bulk_create", actor=actor, metadata={"project_id": str(project.pk), **counts})
    return results


def target_update(*, actor: Any, target: Target, data: Mapping[str, Any]) -> Target:
    """Update label, options (merged), metadata (replaced) or status (active/paused; active clears the error)."""
    values: dict[str, Any] = {}
    if "label" in data:
        values["label"] = (data["label"] or "")[:200]
    if "options" in data:
        from projects.models import TargetOptions

        merged = _clean_options(data["options"] or {}, cfg.to_dict(target.options))
        values["options"] = Target._meta.get_field("options").get_db_prep_save(
            cfg.from_dict(TargetOptions, merged), connections["default"]
        )
    if "metadata" in data:
        values["metadata"] = _clean_metadata(data["metadata"] if data["metadata"] is not None else {})
    if "status" in data:
        if data["status"] not in USER_TARGET_STATUSES:
            raise serializers.ValidationError({"status": ["Set status to active or paused."]})
        values["status"] = data["status"]
        if data["status"] == "active":
            values["error_message"] = ""
    if not values:
        return target
    values["updated_at"] = timezone.now()
    _collection(Target).update_one({"_id": target.pk}, {"$set": values})
    target.refresh_from_db()
    record(
        event_type="target.update",
        actor=actor,
        user=target.user,
        metadata={"target_id": str(target.pk), "project_id": str(target.project_id), "fields": sorted(values)},
    )
    return target


def target_delete(*, actor: Any, target: Target) -> dict[str, int]:
    target_id, project_id = str(target.pk), target.project_id
    results = 0
    if apps.is_installed("results"):  # results reference the target by id, not by ForeignKey
        from results.services import results_delete_for_target

        results = results_delete_for_target(target=target)
    _, per_model = target.delete()
    counts = {apps.get_model(label)._meta.db_table: n for label, n in per_model.items()}
    counts["results"] = results
    _collection(Project).update_one(
        {"_id": project_id, "stats.total_targets": {"$gt": 0}}, {"$inc": {"stats.total_targets": -1}}
    )
    record(
        event_type="target.delete",
        actor=actor,
        user=target.user,
        metadata={"target_id": target_id, "project_id": str(project_id), "deleted": counts},
    )
    return counts


_SUCCESS = {"ok", "success", "succeeded", "completed", "active"}
_FAILURE = {"error", "failed", "failure"}


def target_record_scrape(
    *,
    target: Target,
    status: str,
    error: str | None = None,
    scraped_at: datetime | None = None,
    results_added: int = 0,
) -> Target:
    """Record a scrape of one target (worker side). ``status``: ``success``/``completed`` (clears the
    error), ``error``/``failed`` or ``blocked`` (stores ``error``). A target the user paused stays paused."""
    if status in _SUCCESS:
        new_status, message = "active", ""
    elif status in _FAILURE:
        new_status, message = "error", (error or "The last scrape failed.")[:1000]
    elif status == "blocked":
        new_status, message = "blocked", (error or "The site blocked the last scrape.")[:1000]
    else:
        raise ValueError(f"unknown scrape status {status!r}")
    now = timezone.now()
    update: dict[str, Any] = {"$set": {"stats.last_scraped_at": scraped_at or now, "updated_at": now}}
    if results_added:
        update["$inc"] = {"stats.results_count": int(results_added)}
    targets = _collection(Target)
    targets.update_one({"_id": target.pk}, update)
    changed = targets.update_one(
        {"_id": target.pk, "status": {"$ne": "paused"}}, {"$set": {"status": new_status, "error_message": message}}
    )
    previous = target.status
    target.refresh_from_db()
    if changed.modified_count and new_status != "active" and previous != new_status:
        record(
            event_type=f"target.{new_status}",
            actor=None,
            user=target.user,
            success=False,
            metadata={"target_id": str(target.pk), "project_id": str(target.project_id), "error": message},
        )
    return target


def target_apply_resolution(*, target: Target, resolved_url: str) -> Target:
    """Store what a short/share link resolved to (worker side, after following the redirect).

    The target takes the resolved link's canonical URL and ids. If the project already has that
    URL as another target, this one is left unresolved and marked ``error`` naming the duplicate.
    """
    from scraping.platforms.base import UrlParseError
    from scraping.platforms.urls import parse_target_url

    targets = _collection(Target)
    now = timezone.now()
    try:
        parsed = parse_target_url(resolved_url)
    except UrlParseError as exc:
        parsed, reason = None, f"The short link leads to a page that cannot be collected: {exc.reason}"
    else:
        reason = "The short link did not lead to a product, game, video, post, place or business page."
    if parsed is None or parsed.needs_resolution:
        targets.update_one(
            {"_id": target.pk}, {"$set": {"status": "error", "error_message": reason, "updated_at": now}}
        )
        target.refresh_from_db()
        return target
    twin = Target.objects.filter(project_id=target.project_id, url=parsed.canonical_url).exclude(pk=target.pk).first()
    if twin is not None:
        message = f"This link resolves to {parsed.canonical_url}, already target {twin.pk} of the project."
        targets.update_one(
            {"_id": target.pk}, {"$set": {"status": "error", "error_message": message, "updated_at": now}}
        )
    else:
        try:
            targets.update_one(
                {"_id": target.pk},
                {"$set": {"url": parsed.canonical_url, "platform": parsed.platform,
                          "detected_type": parsed.detected_type, "platform_data": dict(parsed.platform_data),
                          "needs_resolution": False, "updated_at": now}},
            )  # fmt: skip
        except Exception as exc:  # a concurrent add won the unique (project, url) index
            if "duplicate key" not in str(exc).lower() and "E11000" not in str(exc):
                raise
            targets.update_one(
                {"_id": target.pk},
                {"$set": {"status": "error", "error_message": "Resolves to a link already in the project."}},
            )
    target.refresh_from_db()
    return target


# --- schedules ----------------------------------------------------------------------------------


def schedule_set(*, actor: Any, project: Project, data: Mapping[str, Any]) -> Project:
    """Replace the schedule's rule (fields not given keep their value) and recompute ``next_run_at``."""
    _require_not_archived(project)
    serializer = cfg.ScheduleConfigSerializer(data=data, partial=True)
    if not serializer.is_valid():
        raise serializers.ValidationError(serializer.errors)
    current = cfg.to_dict(project.config.schedule) or {}
    merged = {**current, **dict(serializer.validated_data)}
    rule = cfg.rule_from(merged)
    merged.update(days_of_week=list(rule.days_of_week), day_of_month=rule.day_of_month)
    values = {f"config.schedule.{key}": value for key, value in _schedule_doc(merged).items()}
    values["config.schedule.next_run_at"] = _next_run(merged, active=project.status == "active")
    _set(project, values)
    record(
        event_type="schedule.update",
        actor=actor,
        user=project.user,
        metadata={"project_id": str(project.pk), **_schedule_doc(merged)},
    )
    return project


def _schedule_toggle(*, actor: Any, project: Project, enabled: bool) -> Project:
    _require_not_archived(project)
    schedule = {**(cfg.to_dict(project.config.schedule) or {}), "enabled": enabled}
    _set(
        project,
        {
            "config.schedule.enabled": enabled,
            "config.schedule.next_run_at": _next_run(schedule, active=project.status == "active"),
        },
    )
    record(
        event_type="schedule.enable" if enabled else "schedule.disable",
        actor=actor,
        user=project.user,
        metadata={"project_id": str(project.pk)},
    )
    return project


def schedule_enable(*, actor: Any, project: Project) -> Project:
    return _schedule_toggle(actor=actor, project=project, enabled=True)


def schedule_disable(*, actor: Any, project: Project) -> Project:
    return _schedule_toggle(actor=actor, project=project, enabled=False)


def schedule_mark_run(
    *,
    project: Project,
    ran_at: datetime,
    job_id: Any = None,
    status: str = "queued",
    results_count: int = 0,
    error: str = "",
) -> Project:
    """Record that the schedule ran at ``ran_at`` (worker/cron side): ``last_run_at``, a history
    entry (newest first, last 50 kept) and the next ``next_run_at`` after ``max(ran_at, now)``, so a
    late cron never leaves a run due in the past."""
    project.refresh_from_db()  # the caller's copy may predate a schedule change (disabled meanwhile)
    schedule = cfg.to_dict(project.config.schedule) or {}
    now = timezone.now()
    after = max(ran_at, now)
    entry = {
        "job_id": ObjectId(str(job_id)) if job_id is not None else None,
        "started_at": ran_at,
        "status": status,
        "results_count": int(results_count),
        "error": (error or "")[:500],
    }
    _set(
        project,
        {
            "config.schedule.last_run_at": ran_at,
            "config.schedule.next_run_at": _next_run(schedule, active=project.status == "active", after=after),
        },
        extra={
            "$push": {"config.schedule.history": {"$each": [entry], "$position": 0, "$slice": SCHEDULE_HISTORY_SIZE}}
        },
    )
    return project


def schedule_run_update(
    *, project: Project, job_id: Any, status: str, results_count: int | None = None, error: str | None = None
) -> bool:
    """Update the history entry of ``job_id`` when its job finishes; False if no entry has that job."""
    values: dict[str, Any] = {"config.schedule.history.$.status": status}
    if results_count is not None:
        values["config.schedule.history.$.results_count"] = int(results_count)
    if error is not None:
        values["config.schedule.history.$.error"] = error[:500]
    result = _collection(Project).update_one(
        {"_id": project.pk, "config.schedule.history.job_id": ObjectId(str(job_id))}, {"$set": values}
    )
    return bool(result.matched_count)


def schedules_claim_due(*, now: datetime | None = None, limit: int = 100) -> list[Project]:
    """Claim projects whose schedule is due: each claim is a compare-and-set on ``next_run_at``
    (moved to the following run), so two overlapping cron runs never claim the same run twice.
    The caller starts the job and then calls ``schedule_mark_run``."""
    now = now or timezone.now()
    collection = _collection(Project)
    query = {"config.schedule.enabled": True, "config.schedule.next_run_at": {"$lte": now}, "status": "active"}
    claimed: list[Project] = []
    fields = {"config.schedule": 1, "user_id": 1}
    for doc in collection.find(query, fields).sort("config.schedule.next_run_at", 1).limit(limit):
        schedule = doc["config"]["schedule"]
        try:
            following = _next_run(schedule, active=True, after=now)
        except serializers.ValidationError as exc:
            logger.warning("project %s has an invalid schedule; disabling it", doc["_id"])
            disabled = collection.update_one(
                {"_id": doc["_id"], "config.schedule.enabled": True},
                {"$set": {"config.schedule.enabled": False, "config.schedule.next_run_at": None}},
            )
            if disabled.modified_count:  # the owner sees in their audit log why runs stopped
                record(
                    event_type="schedule.disable",
                    actor=None,
                    user=get_user_model().objects.filter(pk=doc.get("user_id")).first(),
                    success=False,
                    metadata={
                        "project_id": str(doc["_id"]),
                        "reason": "invalid_schedule",
                        "error": str(exc.detail)[:300],
                    },
                )
            continue
        won = collection.update_one(
            {"_id": doc["_id"], "config.schedule.next_run_at": schedule["next_run_at"]},
            {"$set": {"config.schedule.next_run_at": following}},
        )
        if won.modified_count:
            claimed.append(Project.objects.get(pk=doc["_id"]))
    return claimed


# --- presets ------------------------------------------------------------------------------------


def _unique_preset_name(user: Any, name: str) -> str:
    candidate, n = name[:100], 2
    while Preset.objects.filter(user=user, name=candidate).exists():
        suffix = f" {n}"
        candidate, n = f"{name[: 100 - len(suffix)]}{suffix}", n + 1
    return candidate


def _require_custom(preset: Preset) -> None:
    if preset.is_system:
        raise ForbiddenError("System presets are read-only; duplicate one to customise it.", code="preset_read_only")


def preset_create(
    *,
    actor: Any,
    name: str,
    description: str = "",
    config: Mapping[str, Any] | None = None,
    base: Any = None,
) -> Preset:
    """A custom preset: ``base`` (a preset slug or id; default the plan's first preset) overridden by ``config``."""
    override = cfg.validate_override(config or {})
    if base:
        source: Preset | None = _resolve_preset(actor, base)
    else:  # the plan's first preset; bare defaults if system presets were never seeded
        source = Preset.objects.filter(slug=plan_limits(actor.plan).presets[0], is_system=True).first()
    if source is not None and source.is_system:
        _preset_plan_check(actor, source.slug)
    base_config = cfg.to_dict(source.config if source is not None else ProjectConfig()) or {}
    base_config["schedule"].update(next_run_at=None, last_run_at=None, history=[])
    merged = cfg.validate_full(cfg.deep_merge(base_config, override))
    if Preset.objects.filter(user=actor, name=name).exists():
        raise ConflictError(f"You already have a preset named '{name}'.", code="duplicate_preset")
    try:
        preset = Preset.objects.create(
            user=actor, name=name, slug=slugify(name)[:64] or "custom", description=description or "",
            is_system=False, config=cfg.config_from(merged),
        )  # fmt: skip
    except IntegrityError:
        raise ConflictError(f"You already have a preset named '{name}'.", code="duplicate_preset") from None
    record(event_type="preset.create", actor=actor, metadata={"preset_id": str(preset.pk), "name": name})
    return preset


def preset_update(*, actor: Any, preset: Preset, data: Mapping[str, Any]) -> Preset:
    _require_custom(preset)
    changed = []
    if "name" in data and data["name"] != preset.name:
        if Preset.objects.filter(user=preset.user, name=data["name"]).exclude(pk=preset.pk).exists():
            raise ConflictError(f"You already have a preset named '{data['name']}'.", code="duplicate_preset")
        preset.name, preset.slug = data["name"], slugify(data["name"])[:64] or "custom"
        changed.append("name")
    if "description" in data:
        preset.description = data["description"] or ""
        changed.append("description")
    if data.get("config"):
        override = cfg.validate_override(data["config"])
        merged = cfg.validate_full(cfg.deep_merge(cfg.to_dict(preset.config) or {}, override))
        preset.config = cfg.config_from(merged)
        changed.append("config")
    if changed:
        try:
            preset.save()
        except IntegrityError:
            raise ConflictError("You already have a preset with that name.", code="duplicate_preset") from None
        record(
            event_type="preset.update",
            actor=actor,
            user=preset.user,
            metadata={"preset_id": str(preset.pk), "fields": changed},
        )
    return preset


def preset_delete(*, actor: Any, preset: Preset) -> None:
    _require_custom(preset)
    preset_id = str(preset.pk)
    preset.delete()
    record(event_type="preset.delete", actor=actor, user=preset.user, metadata={"preset_id": preset_id})


def preset_duplicate(*, actor: Any, preset: Preset, name: str | None = None) -> Preset:
    """Copy a system preset (if the plan has it) or one of the user's presets into a new custom preset."""
    if preset.is_system:
        _preset_plan_check(actor, preset.slug)
    new_name = name or _unique_preset_name(actor, f"{preset.name} (copy)")
    if Preset.objects.filter(user=actor, name=new_name).exists():
        raise ConflictError(f"You already have a preset named '{new_name}'.", code="duplicate_preset")
    config = cfg.to_dict(preset.config) or {}
    copy = Preset.objects.create(
        user=actor, name=new_name, slug=slugify(new_name)[:64] or "custom", description=preset.description,
        is_system=False, config=cfg.config_from(config),
    )  # fmt: skip
    record(
        event_type="preset.duplicate",
        actor=actor,
        metadata={"preset_id": str(copy.pk), "source_preset_id": str(preset.pk)},
    )
    return copy
