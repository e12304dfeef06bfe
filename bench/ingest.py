"""Ingest: normalize + dedup + bulk write of 20,000 reviews vs raw ``insert_many`` of the same documents.

Both sides write to the ``results`` collection of the same engine (the emulated one unless
``MONGODB_URI`` points at a server), page by page (100 reviews, a scraper page), interleaved page by
page with the order alternating. The pipeline side is ``results.services.results_ingest`` (normalize
each ``Review`` into a document, drop in-batch duplicates, ``insert_many(ordered=False)`` under the
unique (target, platform_id) index, emit ``results.new``); the baseline inserts the documents
``review_document`` made for an identical second target, already built, with one ``insert_many``.
10 % of each page repeats reviews of the previous page (a re-run overlapping what is stored), so the
dedup path is exercised; the baseline gets the same pages without those repeats (what it would have to
be given to avoid duplicate-key errors). ``ratio`` = pipeline throughput / baseline (target ≥ 0.7).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from bench.common import Timer, emit, env_int, quiet_stderr, setup_django
from bench.reviews import generate

TARGET = 0.7
PAGE = 100


def main() -> dict:
    quiet_stderr(setup_django)
    from results.selectors import results_collection
    from results.services import review_document
    from scraping.platforms.base import Review
    from scraping.services import scrape_job_start
    from tests.factories_accounts import UserFactory
    from tests.factories_projects import ProjectFactory, TargetFactory

    n = env_int("BENCH_INGEST_REVIEWS", 20000)
    user = UserFactory()
    project = ProjectFactory(user=user)
    target, twin = TargetFactory(project=project), TargetFactory(project=project)
    job = scrape_job_start(actor=user, project=project, trigger="manual", enqueue=False)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    generated = generate(n, seed=5)
    reviews = [
        Review(
            platform="steam",
            platform_id=f"rev-{i}",
            text=r.text,
            title=r.title,
            author=f"player{i % 977}",
            rating=float(r.rating),
            rating_scale="1-5",
            date=base + timedelta(minutes=i),
            url="",
            language="en",
        )  # fmt: skip
        for i, r in enumerate(generated)
    ]
    pages = [reviews[i : i + PAGE] for i in range(0, n, PAGE)]
    now = datetime.now(UTC)
    collection = results_collection()
    pipe, raw = Timer(), Timer()
    inserted = duplicates_sent = 0
    for index, page in enumerate(pages):
        overlap = pages[index - 1][: PAGE // 10] if index else []
        docs = [
            review_document(
                r,
                user_id=user.pk,
                project_id=project.pk,
                target_id=twin.pk,
                scrape_job_id=job.pk,
                platform="steam",
                now=now,
            )  # fmt: skip
            for r in page
        ]

        def run_pipeline(page=page, overlap=overlap) -> None:
            nonlocal inserted, duplicates_sent
            inserted += results_ingest_page(job, target, overlap + page)
            duplicates_sent += len(overlap)

        def run_raw(docs=docs) -> None:
            collection.insert_many(docs, ordered=False)

        order = ((pipe, run_pipeline), (raw, run_raw))
        for timer, function in order if index % 2 == 0 else reversed(order):
            with timer.run():
                function()
    assert inserted == n, (inserted, n)
    assert collection.count_documents({"target_id": target.pk}) == n
    ratio = (n / pipe.wall) / (n / raw.wall)
    return emit(
        "ingest",
        {
            "reviews": n,
            "page_size": PAGE,
            "duplicates_sent": duplicates_sent,
            "new_results": inserted,
            "reviews_per_s": round(n / pipe.wall, 1),
            "baseline_reviews_per_s": round(n / raw.wall, 1),
            "pipeline_s": round(pipe.wall, 3),
            "baseline_s": round(raw.wall, 3),
            "engine": _engine(),
        },
        ratio=ratio,
        target=f"ratio >= {TARGET}",
        meets=ratio >= TARGET,
    )


def results_ingest_page(job, target, page) -> int:
    from results.services import results_ingest

    return results_ingest(job=job, target=target, reviews=page)


def _engine() -> str:
    from django.conf import settings

    return str(settings.DATABASES["default"]["ENGINE"])


if __name__ == "__main__":
    main()
    sys.exit(0)
