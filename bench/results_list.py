"""Results list endpoint vs a bare DRF list view of the same documents.

One project with ``BENCH_RESULTS_DOCS`` (default 1,000) analyzed results, a fifth of them negative.
Both views are called in-process through DRF (request factory, bearer-equivalent
``force_authenticate``, JSON rendering included, middleware left out on both sides), 500 requests each,
interleaved, walking the first pages of ``?sentiment=negative&page_size=50``:

- product: ``results.api.views.ProjectResultsApi`` (tenant check, filter parsing, label-override
  aware filter, ``ResultSerializer`` with every block);
- baseline: a ``ListAPIView`` with ``PageNumberPagination`` (50) over a pymongo cursor of the same
  documents (``{"project_id", "analysis.sentiment.label": "negative"}``, newest first) and a
  pass-through serializer that only makes ObjectIds and dates JSON-safe.

``ratio`` = baseline p50 / product p50 (throughput ratio; target ≥ 0.5); p50 and p99 of both.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import emit, env_int, ms, percentile, quiet_stderr, setup_django

TARGET = 0.5
PAGE_SIZE = 50


def main() -> dict:
    quiet_stderr(setup_django)
    import time

    from bson import ObjectId
    from rest_framework import generics, serializers
    from rest_framework.pagination import PageNumberPagination
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.test import APIRequestFactory, force_authenticate

    from results.api.views import ProjectResultsApi
    from results.selectors import results_collection
    from tests.factories_accounts import UserFactory
    from tests.factories_projects import ProjectFactory, TargetFactory

    n_docs = env_int("BENCH_RESULTS_DOCS", 1000)
    n_requests = env_int("BENCH_RESULTS_REQUESTS", 500)
    user = UserFactory()
    project = ProjectFactory(user=user)
    target = TargetFactory(project=project)
    rng = random.Random(3)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    labels = ["positive"] * 6 + ["neutral"] * 2 + ["negative"] * 2
    docs = []
    for i in range(n_docs):
        label = rng.choice(labels)
        score = {"positive": 0.7, "neutral": 0.0, "negative": -0.6}[label]
        when = base + timedelta(minutes=i)
        scores = dict.fromkeys(("very_positive", "positive", "neutral", "negative", "very_negative"), 0.0)
        scores[label] = 1.0
        docs.append(
            {
                "user_id": user.pk, "project_id": project.pk, "target_id": target.pk, "scrape_job_id": None,
                "content": {"text": f"Review {i}: the battery is fine but the screen is dim.", "title": "",
                            "author": f"a{i}", "rating": float(rng.randint(1, 5)), "rating_scale": "1-5",
                            "date": when, "url": "", "platform_id": f"pid-{i}"},
                "analysis": {"sentiment": {"label": label, "score": score, "confidence": 0.9, "scores": scores,
                                           "analyzer": "bench", "analyzed_at": when},
                             "emotions": None, "summary": None, "insights": None},
                "analysis_provenance": {"sentiment": None, "emotions": None, "summary": None, "insights": None},
                "label_override": None, "analysis_status": "done", "analysis_job_id": None, "analysis_error": None,
                "platform": "steam", "language": "en", "word_count": 11, "created_at": when, "updated_at": when,
            }
        )  # fmt: skip
    results_collection().insert_many(docs)
    negatives = sum(1 for d in docs if d["analysis"]["sentiment"]["label"] == "negative")
    pages = max(1, min(10, negatives // PAGE_SIZE))

    class RawCursor:
        def __init__(self, query: dict, sort: list) -> None:
            self.query, self.sort = query, sort

        def count(self) -> int:
            return results_collection().count_documents(self.query)

        def __len__(self) -> int:
            return self.count()

        def __getitem__(self, item: slice) -> list:
            start, stop = item.start or 0, item.stop
            return list(results_collection().find(self.query).sort(self.sort).skip(start).limit(stop - start))

    class PassThrough(serializers.BaseSerializer):
        def to_representation(self, doc: Any) -> Any:
            if isinstance(doc, dict):
                return {k: self.to_representation(v) for k, v in doc.items()}
            if isinstance(doc, list):
                return [self.to_representation(v) for v in doc]
            if isinstance(doc, (ObjectId, datetime)):
                return str(doc) if isinstance(doc, ObjectId) else doc.isoformat()
            return doc

    class Fifty(PageNumberPagination):
        page_size = PAGE_SIZE

    class BareList(generics.ListAPIView):
        permission_classes = [IsAuthenticated]
        pagination_class = Fifty
        serializer_class = PassThrough
        filter_backends: list = []

        def get_queryset(self) -> Any:
            query = {"project_id": project.pk, "analysis.sentiment.label": "negative"}
            return RawCursor(query, [("created_at", -1), ("_id", -1)])

    factory = APIRequestFactory()
    # 1,000 requests in a minute would hit the plan's API rate limit (120/min): throttling is off on both
    # sides, the bench measures the list itself.
    ProjectResultsApi.throttle_classes = []
    BareList.throttle_classes = []
    product_view, bare_view = ProjectResultsApi.as_view(), BareList.as_view()
    url = f"/api/v1/projects/{project.pk}/results"

    def call(view: Any, page: int, kwargs: dict) -> tuple[float, Any]:
        request = factory.get(url, {"sentiment": "negative", "page_size": PAGE_SIZE, "page": page})
        force_authenticate(request, user=user)
        started = time.perf_counter()
        response = view(request, **kwargs)
        response.render()
        return time.perf_counter() - started, response

    _, first = call(product_view, 1, {"project_id": str(project.pk)})
    _, bare_first = call(bare_view, 1, {})
    import json

    product_body, bare_body = json.loads(first.content), json.loads(bare_first.content)
    assert first.status_code == 200 and product_body["count"] == negatives == bare_body["count"], (
        first.status_code, product_body.get("count"), negatives)  # fmt: skip
    assert [r["id"] for r in product_body["results"]] == [r["_id"] for r in bare_body["results"]]
    product_t, bare_t = [], []
    for i in range(n_requests):
        page = i % pages + 1
        order = ((product_t, product_view, {"project_id": str(project.pk)}), (bare_t, bare_view, {}))
        for samples, view, kwargs in order if i % 2 == 0 else reversed(order):
            elapsed, response = call(view, page, kwargs)
            assert response.status_code == 200, (response.status_code, response.content[:300])
            samples.append(elapsed)
    p50, p99 = percentile(product_t, 50), percentile(product_t, 99)
    b50, b99 = percentile(bare_t, 50), percentile(bare_t, 99)
    return emit(
        "results_list",
        {
            "documents": n_docs,
            "matching": negatives,
            "requests": n_requests,
            "page_size": PAGE_SIZE,
            "p50_ms": ms(p50),
            "p99_ms": ms(p99),
            "baseline_p50_ms": ms(b50),
            "baseline_p99_ms": ms(b99),
            "requests_per_s": round(len(product_t) / sum(product_t), 1),
            "baseline_requests_per_s": round(len(bare_t) / sum(bare_t), 1),
        },
        ratio=b50 / p50,
        target=f"ratio >= {TARGET}",
        meets=b50 / p50 >= TARGET,
    )


if __name__ == "__main__":
    main()
    sys.exit(0)
