"""``/api/v1/cases/{number}/attachments``: upload, list, download (audited), retries and bad files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kesu.cases.models import Attachment
from kesu.core.models import AuditEvent


def _text(name: str = "note.txt", body: str = "顾客来电记录") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body.encode(), content_type="text/plain")


@pytest.fixture
def handler_api(make_user, api_client):
    return api_client(make_user("handler", unit="S-E1"))


@pytest.mark.django_db
def test_upload_list_and_download(make_case, handler_api):
    case = make_case(unit="S-E1")
    base = f"/api/v1/cases/{case.number}/attachments"

    r = handler_api.client.post(base, {"files": [_text(), _text("b.txt", "二")]})

    assert r.status_code == 201, r.content
    body = r.json()
    assert [a["name"] for a in body["added"]] == ["note.txt", "b.txt"] and body["already_attached"] == []
    stored = list(Attachment.objects.filter(case=case).order_by("pk"))
    assert [a.original_name for a in stored] == ["note.txt", "b.txt"]
    assert stored[0].uploaded_by == handler_api.user
    assert list(case.events.values_list("type", flat=True)) == [
        "case.created", "case.attachment_added", "case.attachment_added"]
    listed = handler_api.get(base).json()
    assert [(a["id"], a["sha256"], a["uploaded_by"]) for a in listed] == [
        (a.pk, a.sha256, handler_api.user.username) for a in stored]
    assert listed[0]["url"] == f"{base}/{stored[0].pk}"

    download = handler_api.get(listed[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == "顾客来电记录".encode()
    assert download["Content-Disposition"] == 'attachment; filename="note.txt"'
    audit = AuditEvent.objects.get(type="attachment.downloaded")
    assert (audit.actor, audit.object_id, audit.data["attachment"]) == (handler_api.user, case.number,
                                                                         stored[0].pk)


@pytest.mark.django_db
def test_a_retried_upload_stores_nothing_twice(make_case, handler_api):
    case = make_case(unit="S-E1")
    base = f"/api/v1/cases/{case.number}/attachments"
    assert handler_api.client.post(base, {"files": [_text()]}).status_code == 201

    again = handler_api.client.post(base, {"files": [_text()]})

    assert again.status_code == 200
    assert again.json() == {"added": [], "already_attached": ["note.txt"]}
    assert Attachment.objects.filter(case=case).count() == 1
    assert case.events.filter(type="case.attachment_added").count() == 1


@pytest.mark.django_db
def test_one_bad_file_refuses_the_whole_upload_in_the_callers_language(make_case, handler_api):
    case = make_case(unit="S-E1")
    exe = SimpleUploadedFile("x.exe", b"MZ\x90\x00" + b"\x00" * 64)

    r = handler_api.client.post(f"/api/v1/cases/{case.number}/attachments", {"files": [_text(), exe]})

    assert r.status_code == 422
    assert r.json()["code"] == "attachment_type"
    assert "x.exe" in r.json()["message"] and "不能" in r.json()["message"]
    assert list(r.json()["fields"]) == ["files"]  # the multipart field the caller sent
    assert Attachment.objects.count() == 0 and case.events.count() == 1


@pytest.mark.django_db
def test_too_large_a_file_is_refused(make_case, handler_api, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    case = make_case(unit="S-E1")

    r = handler_api.client.post(f"/api/v1/cases/{case.number}/attachments", {"files": [_text()]},
                                HTTP_ACCEPT_LANGUAGE="en")

    assert r.status_code == 422
    assert r.json()["code"] == "attachment_too_large" and "larger than" in r.json()["message"]
    assert r.json()["fields"] == {"files": ["File too large."]}
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
def test_an_attachment_of_another_case_is_not_found(make_case, handler_api):
    mine, other = make_case(unit="S-E1"), make_case(unit="S-E1")
    r = handler_api.client.post(f"/api/v1/cases/{other.number}/attachments", {"files": [_text()]})
    foreign = r.json()["added"][0]["id"]

    missing = handler_api.get(f"/api/v1/cases/{mine.number}/attachments/{foreign}")

    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert not AuditEvent.objects.filter(type="attachment.downloaded").exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_file_uploaded_twice_at_once_is_stored_once(make_case, make_user, monkeypatch):
    """A retried upload racing the first: both answer, one file is kept, one event written."""
    import io
    import threading
    import time

    from django.db import connection

    from kesu.cases import actions
    from kesu.cases.actions import do_add_attachment
    from kesu.cases.attachments import check_upload

    real = actions.as_django_file

    def slow_file(checked):  # between the "already there?" check and the insert: widen the race
        time.sleep(0.2)
        return real(checked)

    monkeypatch.setattr(actions, "as_django_file", slow_file)

    case = make_case(unit="S-E1")
    handler = make_user("handler", unit="S-E1")
    start, results, errors = threading.Barrier(4), [], []

    def upload() -> None:
        try:
            checked = check_upload(io.BytesIO("顾客来电记录".encode()), "note.txt")
            start.wait()
            results.append(do_add_attachment(case, checked, actor=handler))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=upload) for _ in range(4)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()

    assert errors == []
    assert sum(r is not None for r in results) == 1 and len(results) == 4
    assert Attachment.objects.filter(case=case).count() == 1
    assert case.events.filter(type="case.attachment_added").count() == 1
