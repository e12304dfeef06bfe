"""``run_due_schedules`` over 10,000 scheduled projects of which 1,000 are due: time and database calls.

On the emulated engine (no server here) the default is 500 projects / 50 due: it has no indexes, so every
query scans the collection and the full size would run for an hour; set ``MONGODB_URI`` to a real server
(or ``BENCH_SCHEDULE_PROJECTS`` / ``BENCH_SCHEDULE_DUE``) for the full run. The database calls per due
project do not depend on the engine.

Projects, their owners and one target each are cloned as raw documents from factory-made ones (the
factories would take minutes for 10,000); every project has an enabled daily schedule, 1,000 with
``next_run_at`` in the past. The real management command runs with Celery sending to an in-memory
broker (no worker runs the jobs). Database calls are counted at the driver (every collection
method call: find, update_one, insert_one, aggregate, ...), per collection.

Figures: seconds, jobs started, database calls in total and per due project; the baseline (for the
ratio) is the bare claim loop alone (``projects.services.schedules_claim_due`` over the same 1,000
due projects, reset and run again), so ``ratio`` = claim-only time / full command time: the share of
the run spent finding and claiming, the rest is starting jobs.
"""

from __future__ import annotations

import io
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import emit, env_int, quiet_stderr, setup_django


@contextmanager
def counted_calls():
    import mongomock_ng.collection as mc

    counts: Counter = Counter()
    names = ("find", "find_one", "insert_one", "insert_many", "update_one", "update_many", "find_one_and_update",
             "aggregate", "count_documents", "delete_one", "delete_many", "replace_one", "bulk_write")  # fmt: skip
    originals = {name: getattr(mc.Collection, name) for name in names}

    def wrap(name: str, function: Any) -> Any:
        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts[(self.name, name)] += 1
            return function(self, *args, **kwargs)

        return counted

    for name, function in originals.items():
        setattr(mc.Collection, name, wrap(name, function))
    try:
        yield counts
    finally:
        for name, function in originals.items():
            setattr(mc.Collection, name, function)


def main() -> dict:
    quiet_stderr(setup_django)
    from bson import ObjectId
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from projects.models import Project, Target
    from sentimatrix.celery import app
    from tests.factories_accounts import UserFactory
    from tests.factories_projects import ProjectFactory, TargetFactory

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    # The emulated engine scans every document for every query (no indexes), so the full 10,000 / 1,000
    # takes an hour there; it runs at a twentieth of the size unless a real server is configured.
    emulated = "emulated" in connection.settings_dict["ENGINE"]
    total = env_int("BENCH_SCHEDULE_PROJECTS", 500 if emulated else 10000)
    due = env_int("BENCH_SCHEDULE_DUE", 50 if emulated else 1000)
    now = datetime.now(UTC)
    template_user = UserFactory()
    template_project = ProjectFactory(user=template_user)
    template_target = TargetFactory(project=template_project)
    db = connection.database
    users, projects, targets = (db[m._meta.db_table] for m in (User, Project, Target))
    user_doc = users.find_one({"_id": template_user.pk})
    project_doc = projects.find_one({"_id": template_project.pk})
    target_doc = targets.find_one({"_id": template_target.pk})
    schedule = dict(project_doc["config"].get("schedule") or {})
    schedule.update(enabled=True, frequency="daily", time="06:00", timezone="UTC", history=[])
    new_users, new_projects, new_targets = [], [], []
    for i in range(total):
        # One owner per due project (plan quotas are per user); the others share owners.
        owner_id = ObjectId()
        if i < due or i % 10 == 0:
            new_users.append(user_doc | {"_id": owner_id, "email": f"sched{i}@example.com", "username": f"sched{i}"})
        else:
            owner_id = new_users[-1]["_id"]
        next_run = now - timedelta(minutes=5) if i < due else now + timedelta(hours=1 + i % 23)
        config = dict(project_doc["config"]) | {"schedule": schedule | {"next_run_at": next_run}}
        project_id = ObjectId()
        new_projects.append(project_doc | {"_id": project_id, "user_id": owner_id, "name": f"P{i}", "config": config})
        if i < due:
            new_targets.append(target_doc | {"_id": ObjectId(), "project_id": project_id, "user_id": owner_id})
    users.insert_many(new_users)
    projects.insert_many(new_projects)
    targets.insert_many(new_targets)
    projects.update_one({"_id": template_project.pk}, {"$set": {"config.schedule.enabled": False}})

    out = io.StringIO()
    with counted_calls() as counts:
        started = time.perf_counter()
        call_command("run_due_schedules", stdout=out, stderr=io.StringIO())
        elapsed = time.perf_counter() - started
    jobs = db["scrape_jobs"].count_documents({"trigger": "scheduled"})
    due_query = {"config.schedule.enabled": True, "config.schedule.next_run_at": {"$lte": now}}
    still_due = projects.count_documents(due_query)

    # Baseline: the claim loop alone over the same due projects, reset to due.
    from projects.services import schedules_claim_due

    projects.update_many({"_id": {"$in": [p["_id"] for p in new_projects[:due]]}},
                         {"$set": {"config.schedule.next_run_at": now - timedelta(minutes=5)}})  # fmt: skip
    claim_started = time.perf_counter()
    claimed = 0
    while batch := schedules_claim_due(now=now, limit=100):
        claimed += len(batch)
    claim_elapsed = time.perf_counter() - claim_started
    calls = sum(counts.values())
    by_collection: Counter = Counter()
    for (collection, _method), number in counts.items():
        by_collection[collection] += number
    return emit(
        "schedules",
        {
            "engine": "emulated" if emulated else "mongodb",
            "projects": total,
            "due": due,
            "jobs_started": jobs,
            "left_due": still_due,
            "seconds": round(elapsed, 3),
            "ms_per_due_project": round(elapsed * 1000 / due, 2),
            "db_calls": calls,
            "db_calls_per_due_project": round(calls / due, 1),
            "db_calls_by_collection": dict(by_collection.most_common()),
            "claim_only_seconds": round(claim_elapsed, 3),
            "claimed_again": claimed,
            "command_output": out.getvalue().strip().splitlines()[-1:] or [],
        },
        ratio=claim_elapsed / elapsed,
        target="all due started once, none left due; time and calls recorded",
        meets=jobs == due and still_due == 0,
    )


if __name__ == "__main__":
    main()
    sys.exit(0)
