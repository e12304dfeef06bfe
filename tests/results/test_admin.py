"""Support admin: results change list (filters, search), detail, label correction and re-analyze
actions through the services (audited); analysis jobs read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditLog
from results import services
from results.models import AnalysisJob
from results.selectors import results_collection
from tests.factories_accounts import UserFactory
from tests.factories_results import make_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_changelist_filters_and_search(staff, target) -> None:
    make_result(target=target, text="Battery is superb", label="positive")
    make_result(target=target, text="Screen cracked", label="negative")
    page = staff.get("/admin/results/result/")
    assert page.status_code == 200 and b"Battery is superb" in page.content and b"Screen cracked" in page.content
    only = staff.get("/admin/results/result/", {"sentiment": "negative"})
    assert b"Screen cracked" in only.content and b"Battery is superb" not in only.content
    found = staff.get("/admin/results/result/", {"q": "superb"})
    assert b"Battery is superb" in found.content and b"Screen cracked" not in found.content
    by_project = staff.get("/admin/results/result/", {"project_id": str(target.project_id)})
    assert b"Screen cracked" in by_project.content


def test_detail_shows_analysis_and_override(staff, target) -> None:
    rid = make_result(target=target, text="Meh", label="positive", override="neutral")
    page = staff.get(f"/admin/results/result/{rid}/change/")
    assert page.status_code == 200
    assert b"&quot;label&quot;: &quot;neutral&quot;" in page.content  # the override, shown next to the analysis


def test_label_actions_go_through_the_service(staff, target, user) -> None:
    rid = make_result(target=target, text="Fine I guess", label="positive")
    response = staff.post(
        "/admin/results/result/", {"action": "mark_negative", "_selected_action": [str(rid)]}, follow=True
    )
    assert response.status_code == 200
    doc = results_collection().find_one({"_id": rid})
    assert doc["label_override"]["label"] == "negative" and doc["analysis"]["sentiment"]["label"] == "positive"
    entry = AuditLog.objects.get(event_type="result.label_override")
    assert entry.user_id == user.pk and "actor_id" in entry.metadata  # staff acted on the owner's result
    staff.post("/admin/results/result/", {"action": "clear_override", "_selected_action": [str(rid)]})
    assert results_collection().find_one({"_id": rid})["label_override"] is None


def test_reanalyze_action_and_read_only_jobs(staff, target, project) -> None:
    rid = make_result(target=target, text="Terrible, broken.", label="positive")
    staff.post("/admin/results/result/", {"action": "reanalyze", "_selected_action": [str(rid)]})
    assert results_collection().find_one({"_id": rid})["analysis"]["sentiment"]["label"] == "negative"
    job = AnalysisJob.objects.get(project_id=project.pk)
    assert job.trigger == "reanalyze" and job.analyzed == 1
    assert staff.get("/admin/results/analysisjob/").status_code == 200
    detail = staff.get(f"/admin/results/analysisjob/{job.pk}/change/")
    assert detail.status_code == 200 and b"tokens_in" in detail.content.replace(b"Tokens in", b"tokens_in").lower()
    assert staff.get("/admin/results/analysisjob/add/").status_code == 403


def test_stranger_cannot_override(target) -> None:
    from sentimatrix.api.errors import NotFoundError

    rid = make_result(target=target, text="x", label="positive")
    with pytest.raises(NotFoundError):
        services.result_label_override(actor=UserFactory(), result_id=rid, label="negative")


def test_nobody_deletes_results_in_the_admin(staff, target, project) -> None:
    rid = make_result(target=target, text="Keep me", label="positive")
    assert staff.get(f"/admin/results/result/{rid}/delete/").status_code == 403
    page = staff.get("/admin/results/result/")
    assert b"delete_selected" not in page.content
    staff.post("/admin/results/result/", {"action": "delete_selected", "_selected_action": [str(rid)], "post": "yes"})
    assert results_collection().count_documents({"_id": rid}) == 1


def test_reanalyze_starts_one_run_per_project_for_its_owner(target, project, user) -> None:
    from tests.factories_projects import ProjectFactory, TargetFactory

    other_target = TargetFactory(project=ProjectFactory())
    mine = [make_result(target=target, text="Terrible, broken.", label="positive") for _ in range(2)]
    theirs = make_result(target=other_target, text="Superb, love it.", label="negative")
    support = UserFactory(is_staff=True)

    outcomes = services.results_reanalyze(actor=support, result_ids=[*mine, theirs, str(mine[0])])

    assert [(o.project_id, o.job.queued, o.error) for o in outcomes] == [
        (project.pk, 2, None),
        (other_target.project_id, 1, None),
    ]
    assert results_collection().find_one({"_id": theirs})["analysis"]["sentiment"]["label"] == "positive"
    started = AuditLog.objects.filter(event_type="analysis.started")
    assert {(e.user_id, e.metadata["actor_id"]) for e in started} == {
        (user.pk, str(support.pk)),
        (other_target.project.user_id, str(support.pk)),
    }
    # a run already active in a project is reported for that project, the others still start
    AnalysisJob.objects.filter(project_id=project.pk).update(status="running")
    again = services.results_reanalyze(actor=support, result_ids=[mine[0], theirs])
    assert [o.job is None for o in again] == [True, False]
    assert "already running" in again[0].error


def _actions(client: Client, url: str) -> set[str]:
    form = client.get(url).context["action_form"]  # None when the user may run no action
    return {name for name, _ in form.fields["action"].choices if name} if form is not None else set()


def test_support_corrects_and_reanalyzes_but_view_only_staff_cannot(target) -> None:
    from django.contrib.auth.models import Group

    from sentimatrix.ops.support import SUPPORT_GROUP

    rid = make_result(target=target, text="Fine", label="positive")
    support_user = UserFactory(is_staff=True)
    support_user.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    support = Client()
    support.force_login(support_user)
    assert _actions(support, "/admin/results/result/") == {
        "reanalyze", "mark_positive", "mark_neutral", "mark_negative", "clear_override",
    }  # fmt: skip
    support.post("/admin/results/result/", {"action": "mark_negative", "_selected_action": [str(rid)]})
    assert results_collection().find_one({"_id": rid})["label_override"]["label"] == "negative"

    from django.contrib.auth.models import Permission

    viewer_user = UserFactory(is_staff=True)
    viewer_user.user_permissions.add(Permission.objects.get(codename="view_result"))
    viewer = Client()
    viewer.force_login(viewer_user)
    assert _actions(viewer, "/admin/results/result/") == set()
    viewer.post("/admin/results/result/", {"action": "clear_override", "_selected_action": [str(rid)]})
    assert results_collection().find_one({"_id": rid})["label_override"]["label"] == "negative"
