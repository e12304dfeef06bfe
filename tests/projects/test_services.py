"""Services: create from preset with overrides, plan limits, archive/restore/duplicate/delete, targets,
the worker-side contract services, schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.exceptions import ValidationError

from audit.models import AuditLog
from projects import services
from projects.models import Project, Target
from sentimatrix.api.errors import ConflictError, ForbiddenError, QuotaExceededError
from tests.factories_accounts import UserFactory
from tests.factories_projects import ProjectFactory, TargetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("system_presets")]

STEAM = "https://store.steampowered.com/app/570/Dota_2/"


def test_create_from_preset_copies_config_and_applies_overrides():
    user = UserFactory(plan="advanced")
    project = services.project_create(
        actor=user,
        name="Games",
        preset="advanced",
        config={"llm": {"temperature": 0.2}, "schedule": {"timezone": "Europe/Berlin"}},
    )
    assert project.preset == "advanced"
    assert project.config.llm.temperature == 0.2
    assert project.config.llm.max_tokens == 2000  # from the preset
    assert project.config.analysis.emotion_model == "goemotions"
    schedule = project.config.schedule
    assert schedule.enabled and schedule.timezone == "Europe/Berlin"
    local = schedule.next_run_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (9, 0)
    assert schedule.next_run_at > datetime.now(UTC)
    user.refresh_from_db()
    assert user.usage.projects_count == 1
    assert AuditLog.objects.filter(event_type="project.create", user=user).count() == 1


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"llm": {"provider": "nope"}}, ("llm", "provider")),
        ({"llm": {"model": "gpt-4o"}}, ("llm", "model")),
        ({"analysis": {"sentiment_classes": 4}}, ("analysis", "sentiment_classes")),
        ({"analysis": {"emotion_model": "freud"}}, ("analysis", "emotion_model")),
        ({"limits": {"max_results_per_target": 0}}, ("limits", "max_results_per_target")),
        ({"limits": {"request_delay_seconds": 1000}}, ("limits", "request_delay_seconds")),
        ({"schedule": {"timezone": "Mars/Olympus"}}, ("schedule", "timezone")),
        ({"schedule": {"time": "25:00"}}, ("schedule", "time")),
        ({"schedule": {"frequency": "weekly", "days_of_week": []}}, ("schedule", "days_of_week")),
        ({"llm": {"colour": "red"}}, ("llm", "colour")),
    ],
)
def test_invalid_config_is_rejected_with_field_path(override, path):
    user = UserFactory(plan="advanced")
    with pytest.raises(ValidationError) as info:
        services.project_create(actor=user, name="x", preset="standard", config=override)
    detail = info.value.detail["config"]
    for key in path:
        detail = detail[key]
    assert detail
    assert Project.objects.count() == 0
    user.refresh_from_db()
    assert user.usage.projects_count == 0


def test_plan_limits_projects_presets_and_llm_providers():
    user = UserFactory(plan="starter")  # 3 projects, presets starter/budget, groq/ollama
    with pytest.raises(QuotaExceededError) as info:
        services.project_create(actor=user, name="x", preset="advanced")
    assert info.value.details["limit"] == "presets"
    with pytest.raises(QuotaExceededError) as info:
        services.project_create(
            actor=user, name="x", preset="starter", config={"llm": {"provider": "openai", "model": "gpt-4o-mini"}}
        )
    assert info.value.details["limit"] == "llm_providers"
    for n in range(3):
        services.project_create(actor=user, name=f"p{n}", preset="starter")
    with pytest.raises(QuotaExceededError) as info:
        services.project_create(actor=user, name="p4", preset="starter")
    assert info.value.details["limit"] == "projects"
    assert Project.objects.filter(user=user).count() == 3


def test_default_preset_respects_the_plan():
    user = UserFactory(plan="starter")  # settings.default_preset is "standard", which starter lacks
    project = services.project_create(actor=user, name="x")
    assert project.preset == "starter"


def test_archive_restore_and_update_rules():
    user = UserFactory(plan="advanced")
    project = services.project_create(actor=user, name="x", preset="advanced")
    assert project.config.schedule.next_run_at is not None
    services.project_archive(actor=user, project=project)
    assert project.status == "archived" and project.archived_at is not None
    assert project.config.schedule.next_run_at is None
    with pytest.raises(ConflictError):
        services.project_update(actor=user, project=project, data={"name": "y"})
    services.project_restore(actor=user, project=project)
    assert project.status == "active" and project.config.schedule.next_run_at is not None
    services.project_update(actor=user, project=project, data={"status": "paused"})
    assert project.config.schedule.next_run_at is None
    services.project_update(
        actor=user, project=project, data={"status": "active", "config": {"llm": {"max_tokens": 100}}}
    )
    assert project.config.schedule.next_run_at is not None
    assert project.config.llm.max_tokens == 100 and project.config.llm.temperature == 0.7
    with pytest.raises(ValidationError):
        services.project_update(actor=user, project=project, data={"status": "archived"})


def test_duplicate_with_and_without_targets():
    user = UserFactory(plan="standard")
    project = services.project_create(actor=user, name="x", preset="standard")
    services.target_add(actor=user, project=project, url=STEAM)
    plain = services.project_duplicate(actor=user, project=project)
    assert plain.name == "x (copy)" and Target.objects.filter(project=plain).count() == 0
    full = services.project_duplicate(actor=user, project=project, name="y", include_targets=True)
    assert Target.objects.filter(project=full).count() == 1
    assert full.stats.total_targets == 1
    user.refresh_from_db()
    assert user.usage.projects_count == 3


def test_delete_cascades_and_reports_counts():
    user = UserFactory(plan="standard")
    project = services.project_create(actor=user, name="x", preset="standard")
    TargetFactory.create_batch(3, project=project)
    other = TargetFactory()
    counts = services.project_delete(actor=user, project=project)
    assert counts["targets"] == 3 and counts["schedules"] == 0
    assert not Project.objects.filter(pk=project.pk).exists()
    assert Target.objects.count() == 1 and Target.objects.get() == other
    user.refresh_from_db()
    assert user.usage.projects_count == 0
    entry = AuditLog.objects.get(event_type="project.delete")
    assert entry.metadata["deleted"]["targets"] == 3


def test_target_add_parses_and_refuses_duplicates_and_unknown_sites():
    user = UserFactory(plan="standard")
    project = ProjectFactory(user=user)
    target = services.target_add(actor=user, project=project, url=STEAM, label="Dota")
    assert (target.platform, target.detected_type) == ("steam", "game")
    assert str(target.platform_data["app_id"]) == "570"
    with pytest.raises(ConflictError):
        services.target_add(actor=user, project=project, url="https://store.steampowered.com/app/570")
    with pytest.raises(ValidationError) as info:
        services.target_add(actor=user, project=project, url="https://example.com/page")
    assert "not a supported site" in str(info.value.detail["url"][0])
    project.refresh_from_db()
    assert project.stats.total_targets == 1


def test_targets_per_project_limit():
    user = UserFactory(plan="starter")  # 10 per project
    project = ProjectFactory(user=user)
    TargetFactory.create_batch(10, project=project)
    with pytest.raises(QuotaExceededError) as info:
        services.target_add(actor=user, project=project, url=STEAM)
    assert info.value.details == {"limit": "targets_per_project", "value": 10, "used": 10}


def test_bulk_add_reports_each_url():
    user = UserFactory(plan="starter")
    project = ProjectFactory(user=user)
    for _ in range(8):
        TargetFactory(project=project)
    results = services.target_bulk_add(
        actor=user,
        project=project,
        items=[
            STEAM,
            {"url": "https://store.steampowered.com/app/570", "label": "again"},
            "ftp://nope",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.reddit.com/r/python/comments/abc123/some_title/",
        ],
    )
    assert [r["status"] for r in results] == ["created", "duplicate", "invalid", "created", "limit_reached"]
    assert "ftp" in results[2]["reason"]
    assert Target.objects.filter(project=project).count() == 10
    with pytest.raises(ValidationError):
        services.target_bulk_add(actor=user, project=project, items=["x"] * 51)


def test_target_update_and_delete():
    target = TargetFactory()
    user = target.user
    services.target_update(
        actor=user,
        target=target,
        data={"label": "L", "options": {"country": "de"}, "metadata": {"a": 1}, "status": "paused"},
    )
    assert (target.label, target.options.country, target.metadata, target.status) == ("L", "DE", {"a": 1}, "paused")
    with pytest.raises(ValidationError):
        services.target_update(actor=user, target=target, data={"status": "blocked"})
    with pytest.raises(ValidationError):
        services.target_update(actor=user, target=target, data={"metadata": {"$where": 1}})
    with pytest.raises(ValidationError):
        services.target_update(actor=user, target=target, data={"options": {"colour": 1}})
    services.target_delete(actor=user, target=target)
    assert not Target.objects.filter(pk=target.pk).exists()


def test_target_record_scrape():
    target = TargetFactory()
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    services.target_record_scrape(target=target, status="failed", error="HTTP 500")
    assert (target.status, target.last_error) == ("error", "HTTP 500")
    assert AuditLog.objects.filter(event_type="target.error").count() == 1
    services.target_record_scrape(target=target, status="success", scraped_at=at, results_added=7)
    assert (target.status, target.last_error, target.last_scraped_at) == ("active", "", at)
    assert target.stats.results_count == 7
    target.status = "paused"
    target.save()
    services.target_record_scrape(target=target, status="blocked", error="captcha")
    assert target.status == "paused"
    with pytest.raises(ValueError):
        services.target_record_scrape(target=target, status="weird")


def test_schedule_set_enable_disable_and_mark_run():
    user = UserFactory()
    project = ProjectFactory(user=user)
    services.schedule_set(
        actor=user,
        project=project,
        data={"enabled": True, "frequency": "weekly", "time": "10:30", "timezone": "America/New_York",
              "days_of_week": [4, 0, 0]},
    )  # fmt: skip
    schedule = project.config.schedule
    assert schedule.days_of_week == [0, 4] and schedule.next_run_at is not None
    services.schedule_disable(actor=user, project=project)
    assert project.config.schedule.next_run_at is None and not project.config.schedule.enabled
    services.schedule_enable(actor=user, project=project)
    due = project.config.schedule.next_run_at
    assert due is not None
    with pytest.raises(ValidationError) as info:
        services.schedule_set(actor=user, project=project, data={"frequency": "monthly", "day_of_month": 31})
    assert "day_of_month" in info.value.detail
    ran = datetime.now(UTC) - timedelta(hours=2)
    for n in range(55):
        services.schedule_mark_run(project=project, ran_at=ran, job_id=f"{n:024x}", status="queued")
    schedule = project.config.schedule
    assert schedule.last_run_at == ran.replace(microsecond=ran.microsecond // 1000 * 1000)
    assert len(schedule.history) == 50 and str(schedule.history[0].job_id) == f"{54:024x}"
    assert schedule.next_run_at > datetime.now(UTC)
    assert services.schedule_run_update(project=project, job_id=f"{54:024x}", status="completed", results_count=12)
    project.refresh_from_db()
    assert (project.config.schedule.history[0].status, project.config.schedule.history[0].results_count) == (
        "completed",
        12,
    )


def test_claim_due_is_compare_and_set():
    user = UserFactory()
    project = ProjectFactory(user=user)
    services.schedule_set(actor=user, project=project, data={"enabled": True, "frequency": "hourly", "time": "00:15"})
    later = project.config.schedule.next_run_at + timedelta(minutes=1)
    claimed = services.schedules_claim_due(now=later)
    assert [p.pk for p in claimed] == [project.pk]
    assert claimed[0].config.schedule.next_run_at > later
    assert services.schedules_claim_due(now=later) == []


def test_claim_due_disables_an_invalid_stored_schedule_and_tells_the_owner():
    from django.db import connection

    user = UserFactory()
    project = ProjectFactory(user=user)
    services.schedule_set(actor=user, project=project, data={"enabled": True, "frequency": "hourly", "time": "00:15"})
    later = project.config.schedule.next_run_at + timedelta(minutes=1)
    # A schedule the code can no longer compute (written by an older release or by hand).
    connection.database["projects"].update_one(
        {"_id": project.pk}, {"$set": {"config.schedule.timezone": "Mars/Olympus"}}
    )
    assert services.schedules_claim_due(now=later) == []
    project.refresh_from_db()
    assert (project.config.schedule.enabled, project.config.schedule.next_run_at) == (False, None)
    [event] = AuditLog.objects.filter(event_type="schedule.disable")
    assert (event.user_id, event.success, event.metadata["reason"]) == (user.pk, False, "invalid_schedule")
    assert event.metadata["project_id"] == str(project.pk) and event.metadata["actor"] == "system"
    assert services.schedules_claim_due(now=later) == []  # disabled once, recorded once
    assert AuditLog.objects.filter(event_type="schedule.disable").count() == 1


def test_presets_custom_crud_and_system_read_only():
    from projects.models import Preset

    user = UserFactory(plan="standard")
    preset = services.preset_create(actor=user, name="Mine", base="standard", config={"llm": {"temperature": 0.1}})
    assert preset.config.llm.temperature == 0.1 and preset.config.scrapers.platforms == ["amazon", "steam", "youtube"]
    with pytest.raises(ConflictError):
        services.preset_create(actor=user, name="Mine")
    project = services.project_create(actor=user, name="x", preset=str(preset.pk))
    assert project.preset == "custom" and project.preset_ref == preset.pk and project.config.llm.temperature == 0.1
    system = Preset.objects.get(slug="standard", is_system=True)
    with pytest.raises(ForbiddenError):
        services.preset_update(actor=user, preset=system, data={"name": "hacked"})
    with pytest.raises(ForbiddenError):
        services.preset_delete(actor=user, preset=system)
    copy = services.preset_duplicate(actor=user, preset=system)
    assert copy.name == "Standard (copy)" and not copy.is_system
    with pytest.raises(QuotaExceededError):
        services.preset_duplicate(actor=user, preset=Preset.objects.get(slug="advanced", is_system=True))
    services.preset_update(
        actor=user, preset=preset, data={"name": "Renamed", "config": {"limits": {"max_results_per_job": 900}}}
    )
    assert preset.name == "Renamed" and preset.config.limits.max_results_per_job == 900
    services.preset_delete(actor=user, preset=preset)
    assert not Preset.objects.filter(pk=preset.pk).exists()


def test_short_link_resolution():
    user = UserFactory(plan="standard")
    project = ProjectFactory(user=user)
    short = services.target_add(actor=user, project=project, url="https://amzn.to/3abcDEF")
    assert short.needs_resolution and short.platform == "amazon"
    services.target_apply_resolution(target=short, resolved_url="https://www.amazon.de/dp/B08N5WRWNW?ref=x")
    assert not short.needs_resolution
    assert short.url == "https://www.amazon.de/dp/B08N5WRWNW" and short.platform_data["asin"] == "B08N5WRWNW"
    again = services.target_add(actor=user, project=project, url="https://amzn.to/zzz999")
    services.target_apply_resolution(target=again, resolved_url="https://www.amazon.de/dp/B08N5WRWNW")
    assert again.status == "error" and str(short.pk) in again.error_message and again.needs_resolution
    third = services.target_add(actor=user, project=project, url="https://amzn.to/yyy888")
    services.target_apply_resolution(target=third, resolved_url="https://example.com/")
    assert third.status == "error" and "cannot be collected" in third.error_message


@pytest.mark.parametrize(
    ("url", "platform", "key", "value"),
    [
        ("https://www.amazon.co.uk/Some-Thing/dp/B0DEADBEEF/ref=sr_1_1", "amazon", "asin", "B0DEADBEEF"),
        ("https://store.steampowered.com/app/1245620/ELDEN_RING/", "steam", "app_id", 1245620),
        ("https://youtu.be/dQw4w9WgXcQ?t=42", "youtube", "video_id", "dQw4w9WgXcQ"),
        ("https://old.reddit.com/r/python/comments/1abcde/title/", "reddit", "post_id", "1abcde"),
        ("https://www.trustpilot.com/review/www.example.com", "trustpilot", "slug", "www.example.com"),
        ("https://www.yelp.com/biz/tartine-bakery-san-francisco", "yelp", "slug", "tartine-bakery-san-francisco"),
    ],
)
def test_target_gets_platform_and_ids_from_the_url(url, platform, key, value):
    user = UserFactory(plan="standard")
    target = services.target_add(actor=user, project=ProjectFactory(user=user), url=url)
    assert target.platform == platform
    assert target.platform_data[key] == value
    assert target.source_url == url


def test_mark_run_on_a_stale_copy_keeps_a_disabled_schedule_null():
    user = UserFactory()
    project = ProjectFactory(user=user)
    services.schedule_set(actor=user, project=project, data={"enabled": True, "frequency": "daily", "time": "08:00"})
    stale = Project.objects.get(pk=project.pk)
    services.schedule_disable(actor=user, project=project)
    services.schedule_mark_run(project=stale, ran_at=datetime.now(UTC), status="skipped")
    assert stale.config.schedule.next_run_at is None and len(stale.config.schedule.history) == 1


def test_delete_reaches_jobs_and_results_and_counts_them():
    from results.models import Result
    from scraping.models import ScrapeJob
    from tests.factories_results import make_result

    user = UserFactory(plan="standard")
    project = ProjectFactory(user=user)
    keep, drop = TargetFactory(project=project), TargetFactory(project=project)
    other_project_target = TargetFactory()
    ScrapeJob.objects.create(project=project, user=user)
    for target in (keep, keep, drop, other_project_target):
        make_result(target=target)
    assert services.target_delete(actor=user, target=drop)["results"] == 1
    counts = services.project_delete(actor=user, project=project)
    assert counts == {"targets": 1, "scrape_jobs": 1, "results": 2, "analysis_jobs": 0, "schedules": 0}
    assert Result.objects.count() == 1 and ScrapeJob.objects.count() == 0
