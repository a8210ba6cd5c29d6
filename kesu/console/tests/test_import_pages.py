"""Import pages: upload → Celery (eager) → job page with bad rows → error report; 403 and scope."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from kesu.cases.models import Case, ImportJob
from kesu.core.models import AuditEvent
from kesu.org.models import User

CSV = (
    "标题,问题描述,类型,客户姓名,手机,诉求,产品,门店\n"
    "包装破损,茶叶包装破损,投诉,张三,13800001111,退款、道歉,西湖龙井,S-E1\n"
    "物流慢,,建议,李四,13900002222,,,S-E1\n"
    "口感偏酸,这批茶叶口感偏酸,投拆,王五,13700003333,换货,铁观音,\n"
    "售后,售后电话打不通,咨询,赵六,13600004444,,,\n"
).encode("utf-8-sig")
DESCRIPTION_ERROR = "description: Please describe the problem."
KIND_ERROR = "kind: Unknown value 投拆. Allowed: Complaint, Suggestion, Praise, Inquiry."


def english(user: User) -> User:
    """Imports run in the uploader's language; these tests read the English messages."""
    User.objects.filter(pk=user.pk).update(language="en")
    user.language = "en"
    return user


def upload(name: str = "cases.csv", content: bytes = CSV) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.mark.django_db
def test_upload_runs_the_import_and_shows_the_bad_rows(make_user, console,
                                                        django_capture_on_commit_callbacks):
    user = english(make_user("cs_supervisor", unit="EAST"))
    client = console(user)
    form = client.get("/imports/new/")
    assert form.status_code == 200
    assert '<option value="EAST" selected>' in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/imports/new/", {"file": upload(), "mode": "good_rows", "org_unit": "EAST"})
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/imports/{job.pk}/"
    assert (job.state, job.total_rows, job.imported_rows, job.error_rows) == ("done", 4, 2, 2)
    assert sorted(Case.objects.values_list("org_unit__code", "customer_name")) == [
        ("EAST", "赵六"), ("S-E1", "张三")]
    assert set(Case.objects.values_list("intake_by", flat=True)) == {user.pk}

    page = client.get(r["Location"]).content.decode()
    assert 'data-testid="import-imported">2<' in page
    assert f'<td class="text-end">3</td><td>{DESCRIPTION_ERROR}</td>' in page
    assert f'<td class="text-end">4</td><td>{KIND_ERROR}</td>' in page
    report = client.get(f"/imports/{job.pk}/errors.csv")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert rows == [["Line", "Error"], ["3", DESCRIPTION_ERROR], ["4", KIND_ERROR]]
    listing = client.get("/imports/").content.decode()
    assert f'href="/imports/{job.pk}/">cases.csv</a>' in listing
    assert AuditEvent.objects.filter(type="import.finished", object_id=str(job.pk)).count() == 1


@pytest.mark.django_db
def test_all_or_nothing_upload_imports_nothing(make_user, console, django_capture_on_commit_callbacks):
    client = console(english(make_user("cs_supervisor")))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/new/", {"file": upload(), "mode": "all_or_nothing", "org_unit": "HQ"})
    job = ImportJob.objects.get()
    assert (job.state, job.total_rows, job.imported_rows, job.error_rows) == ("rejected", 4, 0, 2)
    assert Case.objects.count() == 0
    page = console(job.created_by).get(f"/imports/{job.pk}/").content.decode()
    assert "Nothing was imported" in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["intake_agent", "handler", "quality_engineer", "executive", "auditor"])
def test_roles_without_import_are_refused_and_nothing_is_created(make_user, console, role,
                                                                  django_capture_on_commit_callbacks):
    client = console(make_user(role))
    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/new/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = client.post("/imports/new/", {"file": upload(), "mode": "good_rows", "org_unit": "HQ"})
    assert r.status_code == 403
    assert callbacks == []
    assert ImportJob.objects.count() == 0 and Case.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_is_sent_to_the_login(client):
    r = client.get("/imports/new/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


@pytest.mark.django_db
def test_jobs_are_private_to_their_uploader_but_admins_see_all(make_user, console,
                                                                django_capture_on_commit_callbacks):
    owner, other = make_user("cs_supervisor"), make_user("cs_supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        console(owner).post("/imports/new/", {"file": upload(), "mode": "good_rows", "org_unit": "HQ"})
    job = ImportJob.objects.get()
    assert console(other).get(f"/imports/{job.pk}/").status_code == 404
    assert console(other).get(f"/imports/{job.pk}/errors.csv").status_code == 404
    assert "cases.csv" not in console(other).get("/imports/").content.decode()
    admin = User.objects.get(username="admin")
    assert console(admin).get(f"/imports/{job.pk}/").status_code == 200
    assert "cases.csv" in console(admin).get("/imports/").content.decode()


@pytest.mark.django_db
def test_unsupported_file_and_foreign_unit_are_refused_with_the_form_kept(make_user, console):
    client = console(make_user("cs_supervisor", unit="EAST"))
    r = client.post("/imports/new/", {"file": upload("cases.xls", b"x"), "mode": "good_rows",
                                      "org_unit": "EAST"})
    assert r.status_code == 422
    assert "Only CSV and XLSX files can be imported." in r.content.decode()
    r = client.post("/imports/new/", {"file": upload(), "mode": "good_rows", "org_unit": "SOUTH"})
    assert r.status_code == 422
    assert "Select a valid choice." in r.content.decode()
    assert ImportJob.objects.count() == 0 and Case.objects.count() == 0


@pytest.mark.django_db
def test_a_file_without_description_column_is_rejected_at_once(make_user, console,
                                                               django_capture_on_commit_callbacks):
    client = console(english(make_user("cs_supervisor")))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/new/", {"file": upload(content="标题,电话\n破损,138\n".encode()),
                                      "mode": "good_rows", "org_unit": "HQ"})
    job = ImportJob.objects.get()
    assert (job.state, job.total_rows, job.imported_rows) == ("rejected", 0, 0)
    assert job.failure.startswith("The file has no description column.")
    assert escape(job.failure) in client.get(f"/imports/{job.pk}/").content.decode()
