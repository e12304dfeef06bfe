"""The demo tenant: a realistic account built through the product's own services.

Projects and targets are created with ``projects.services`` (URL parsing, presets, quotas),
reviews are stored with ``results.services.results_ingest`` and analyzed with
``results.services.analysis_start`` (the offline analyzer: no network, no key). Scrape jobs are
written as finished records (running a real scrape would need the network); their results are
dated as if each weekly scheduled run had collected them. Nothing here calls out of the process.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from django.db import connection

from sentimatrix.ops.demo_text import rating_for, review_text, sentiment_for

DEMO_EMAIL = "demo@sentimatrix.local"
DEMO_PASSWORD = "Demo-Sentimatrix-2026"  # noqa: S105 - a published demo login, not a secret
DEMO_COMPANY = "Sentimatrix demo tenant"
DAYS = 90
JOB_EVERY_DAYS = 7


@dataclass(frozen=True)
class DemoProject:
    name: str
    description: str
    preset: str
    targets: tuple[tuple[str, str], ...]  # (label, url)
    reviews_per_target: int
    base: tuple[float, float, float]  # positive, neutral, negative weights
    dip: tuple[int, int] | None = None  # days ago (from, to) with many more negatives
    schedule: bool = True


PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        "Starfall Odyssey launch", "Steam reviews of our game since launch, and the 1.2 patch backlash.", "standard",
        (("Starfall Odyssey", "https://store.steampowered.com/app/1091500/"),
         ("Starfall Odyssey: Deluxe soundtrack", "https://store.steampowered.com/app/1091510/")),
        420, (0.6, 0.15, 0.25), dip=(40, 28),
    ),
    DemoProject(
        "AuraBuds Pro earbuds", "Amazon reviews of the earbuds and the previous model.", "standard",
        (("AuraBuds Pro", "https://www.amazon.com/dp/B0CHWRXH8B"),
         ("AuraBuds (2024)", "https://www.amazon.com/dp/B09JQMJHXY")),
        300, (0.55, 0.2, 0.25),
    ),
    DemoProject(
        "Launch video comments", "YouTube comments under our launch trailer.", "standard",
        (("Launch trailer", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),),
        350, (0.5, 0.3, 0.2),
    ),
    DemoProject(
        "r/headphones mentions", "A Reddit thread comparing budget earbuds.", "standard",
        (("Best budget IEM 2026", "https://www.reddit.com/r/headphones/comments/1abcde/best_budget_iem_2026/"),),
        250, (0.4, 0.35, 0.25), schedule=False,
    ),
    DemoProject(
        "Blue Door Café", "Google Maps reviews of the flagship café.", "standard",
        (("Blue Door Café (Google Maps)",
          "https://www.google.com/maps/place/Blue+Door/data=!4m6!3m5!1s0x808580627c9a3fe9:0x4d5b2c0e0e3b1b1!8m2"),),
        280, (0.65, 0.15, 0.2), dip=(15, 8),
    ),
    DemoProject(
        "Online shop reputation", "Trustpilot and Yelp, through a commercial scraping provider.", "advanced",
        (("Shop on Trustpilot", "https://www.trustpilot.com/review/www.example-shop.com"),
         ("Store on Yelp", "https://www.yelp.com/biz/blue-door-cafe-san-francisco")),
        200, (0.45, 0.15, 0.4),
    ),
)  # fmt: skip


def demo_user() -> Any:
    from accounts.models import User

    return User.objects.filter(email=DEMO_EMAIL).first()


def demo_exists() -> bool:
    from projects.models import Project

    user = demo_user()
    return user is not None and Project.objects.filter(user=user).exists()


def demo_erase(report: Callable[[str], Any]) -> dict[str, int]:
    """Delete the demo account and everything it owns (every cascading reference to the user)."""
    from sentimatrix.ops.retention import USERS, cascade_parents

    user = demo_user()
    if user is None:
        return {}
    counts: dict[str, int] = {}
    database = connection.database
    for collection, pairs in sorted(cascade_parents().items()):
        for column, parent in pairs:
            if parent == USERS and collection != USERS:
                deleted = database[collection].delete_many({column: user.pk}).deleted_count
                if deleted:
                    counts[collection] = counts.get(collection, 0) + deleted
    database[USERS].delete_one({"_id": user.pk})
    counts[USERS] = 1
    report(f"  erased the previous demo tenant: {sum(counts.values())} documents")
    return counts


def _naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def build_demo(
    *, now: dt.datetime, seed: int = 2026, scale: float = 1.0, report: Callable[[str], Any]
) -> dict[str, int]:
    """Create the demo tenant; returns document counts. The caller made sure none exists."""
    from accounts.models import User
    from projects.presets import seed_system_presets
    from projects.services import project_create, schedule_set, target_add
    from results.models import AnalysisJob
    from results.services import analysis_start, results_ingest
    from scraping.models import JobStats, JobTarget, ScrapeJob
    from scraping.platforms.base import Review

    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    seed_system_presets()  # idempotent; the demo's projects are created from the system presets
    database = connection.database
    user = demo_user() or User.objects.create_user(
        DEMO_EMAIL, DEMO_PASSWORD, name="Dana Demo", company=DEMO_COMPANY, plan=User.Plan.ADVANCED,
        email_verified=True,
    )  # fmt: skip
    counts = {"projects": 0, "targets": 0, "scrape_jobs": 0, "analysis_jobs": 0, "results": 0}
    for spec in PROJECTS:
        project = project_create(
            actor=user, name=spec.name, description=spec.description, preset=spec.preset,
            config={"analysis": {"analyzer": "local-fast", "emotions": True}},
        )  # fmt: skip
        if spec.schedule:
            weekly = {"enabled": True, "frequency": "weekly", "time": "06:00", "timezone": "Europe/Berlin",
                      "days_of_week": [0]}  # fmt: skip
            schedule_set(actor=user, project=project, data=weekly)
        counts["projects"] += 1
        targets = [target_add(actor=user, project=project, url=url, label=label) for label, url in spec.targets]
        counts["targets"] += len(targets)
        per_target = max(10, int(spec.reviews_per_target * scale))
        # One finished scrape job a week; each collected the reviews posted since the previous one.
        # ... and a last run this morning that collected what was posted since the last weekly one.
        runs = [*range(DAYS, 0, -JOB_EVERY_DAYS), 0]
        for index, week_end in enumerate(runs):
            ran_at = now - dt.timedelta(days=week_end, hours=-6) if week_end else now - dt.timedelta(minutes=30)
            previous = runs[index - 1] if index else DAYS + JOB_EVERY_DAYS
            window = range(previous, week_end, -1) if previous > week_end else range(week_end + 1, week_end, -1)
            job = ScrapeJob.objects.create(
                project=project, user=user, status=ScrapeJob.Status.COMPLETED, active=False, progress=100,
                trigger=ScrapeJob.Trigger.SCHEDULED if spec.schedule else ScrapeJob.Trigger.MANUAL,
                triggered_by=None if spec.schedule else user,
                targets=[JobTarget(target_id=t.pk, platform=t.platform, url=t.url, status="completed", progress=100)
                         for t in targets],
                stats=JobStats(targets_total=len(targets), targets_completed=len(targets)),
            )  # fmt: skip
            new_total = 0
            for target in targets:
                reviews = []
                for _ in range(max(1, per_target * len(window) // (DAYS + JOB_EVERY_DAYS))):
                    day = rng.choice(list(window))
                    sentiment = sentiment_for(rng, day, base=spec.base, dip=spec.dip)
                    title, text = review_text(rng, target.platform, sentiment)
                    posted = now - dt.timedelta(days=day, minutes=rng.randint(0, 24 * 60))
                    reviews.append(
                        Review(
                            platform=target.platform,
                            platform_id=f"demo-{ObjectId()}",
                            text=text,
                            title=title,
                            author=f"user{rng.randint(100, 99999)}",
                            rating=rating_for(rng, sentiment),
                            date=min(posted, ran_at),
                            language="en",
                        )  # fmt: skip
                    )
                added = results_ingest(job=job, target=target, reviews=reviews)
                new_total += added
            # As if this run had stored them: results and the job carry the run's time.
            started = _naive(ran_at - dt.timedelta(minutes=4))
            database["results"].update_many(
                {"scrape_job_id": job.pk}, {"$set": {"created_at": _naive(ran_at), "updated_at": _naive(ran_at)}}
            )
            database["scrape_jobs"].update_one(
                {"_id": job.pk},
                {"$set": {"created_at": started, "started_at": started, "completed_at": _naive(ran_at),
                          "updated_at": _naive(ran_at), "stats.results_total": new_total,
                          "stats.reviews_fetched": new_total, "stats.requests_made": 3 * len(targets),
                          "targets.$[].results_count": new_total // max(len(targets), 1)}},
            )  # fmt: skip
            counts["scrape_jobs"] += 1
            counts["results"] += new_total
        # One analysis run over the project's new results (per-run analysis would repeat the
        # project-wide statistics every week: the same outcome, many times slower on the emulator).
        analysis = analysis_start(actor=user, project=project, trigger=AnalysisJob.Trigger.AFTER_SCRAPE)
        database["analysis_jobs"].update_one(
            {"_id": analysis.pk},
            {"$set": {"scrape_job_id": job.pk, "created_at": _naive(ran_at), "started_at": _naive(ran_at),
                      "completed_at": _naive(ran_at + dt.timedelta(seconds=20)), "updated_at": _naive(ran_at)}},
        )  # fmt: skip
        counts["analysis_jobs"] += 1
        stored = database["results"].count_documents({"project_id": project.pk})
        report(f"  {spec.name}: {len(targets)} targets, {stored} results")

    # The provider-backed Yelp target started failing: the dashboard's "targets in error".
    from projects.models import Target
    from projects.services import target_record_scrape

    yelp = Target.objects.filter(user=user, platform="yelp").first()
    if yelp is not None:
        target_record_scrape(
            target=yelp, status="error", scraped_at=now - dt.timedelta(hours=5),
            error="Apify actor run failed: monthly usage limit of the provider account reached",
        )  # fmt: skip
    # A failed run in the last day, for the support dashboard's "failing jobs".
    failing = project  # the last project (commercial provider)
    failed = ScrapeJob.objects.create(
        project=failing, user=user, status=ScrapeJob.Status.FAILED, active=False, trigger=ScrapeJob.Trigger.SCHEDULED,
        error_message="Provider quota exhausted (HTTP 429 from the scraping provider)",
        stats=JobStats(targets_total=2, targets_failed=2, errors_count=2),
    )  # fmt: skip
    database["scrape_jobs"].update_one(
        {"_id": failed.pk}, {"$set": {"created_at": _naive(now - dt.timedelta(hours=5))}}
    )
    counts["scrape_jobs"] += 1
    AnalysisJob.objects.filter(user=user, status__in=AnalysisJob.ACTIVE).update(status=AnalysisJob.Status.COMPLETED)
    counts["webhooks"] = _demo_webhook(user, failing, now)
    return counts


def _demo_webhook(user: Any, project: Any, now: dt.datetime) -> int:
    """A webhook whose endpoint has been failing (the dashboard shows it). Created after all the
    analysis so no event is ever sent; its address is a reserved example domain and is checked
    against a fixed public address instead of a DNS lookup."""
    from integrations.models import Webhook
    from integrations.services import webhooks as webhook_services

    original = webhook_services.resolver
    webhook_services.resolver = lambda host, *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))]
    try:
        webhook, _secret = webhook_services.webhook_create(
            actor=user, url="https://hooks.example.com/sentimatrix", label="Slack relay",
            events=["job.completed", "job.failed", "alert.sentiment_drop"], project=None,
        )  # fmt: skip
    finally:
        webhook_services.resolver = original
    Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=4)
    connection.database["webhooks"].update_one(
        {"_id": webhook.pk},
        {"$set": {"stats.total_deliveries": 31, "stats.successful_deliveries": 27, "stats.failed_deliveries": 4,
                  "stats.last_delivery": _naive(now - dt.timedelta(hours=2)), "stats.last_status": "failed"}},
    )  # fmt: skip
    return 1
