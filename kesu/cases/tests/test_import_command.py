"""``kesu import``: totals, bad rows with line numbers, modes, exit codes, audit record."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kesu.cases import actions_import
from kesu.cases.events import verify_case_chains
from kesu.cases.models import Case, ImportJob
from kesu.core.models import AuditEvent
from kesu.customers.models import Customer
from kesu.org.models import User

GOOD = "标题,问题描述,类型,客户姓名,手机,诉求,产品,受理时间\n"


@pytest.fixture(autouse=True)
def _english(settings):
    """Without --as, imports run in the site language; these tests read the English messages."""
    settings.LANGUAGE_CODE = "en"


def csv_file(tmp_path: Path, rows: list[str], header: str = GOOD, name: str = "cases.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8-sig")
    return path


def run(*args: str) -> tuple[int, str]:
    """(exit code, output) as the shell would see them."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("import", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + f"CommandError: {exc}\n"
    return 0, out.getvalue()


@pytest.mark.django_db
def test_clean_file_imports_everything_and_exits_0(org, tmp_path):
    path = csv_file(tmp_path, [
        "包装破损,茶叶包装破损,投诉,张三,13800001111,退款,西湖龙井,2026-09-30 16:00",
        "建议,希望多一些口味,建议,李四,13900002222,,,2026-10-01 09:00",
        "又破了,第二次破损,投诉,张三,138-0000-1111,换货,西湖龙井,2026-09-30 17:00",
    ])
    code, out = run(str(path))
    assert code == 0, out
    assert out.splitlines()[0].startswith("Rows: 3, imported: 3, rejected: 0 (")
    assert sorted(Case.objects.values_list("number", flat=True)) == [
        "KS-202609-00001", "KS-202609-00002", "KS-202610-00001"]
    assert Customer.objects.count() == 2
    assert set(Case.objects.values_list("org_unit__code", "intake_by")) == {("HQ", None)}
    assert list(verify_case_chains()) == []
    job = ImportJob.objects.get()
    event = AuditEvent.objects.get(type="import.finished")
    assert (event.object_type, event.object_id) == ("import_job", str(job.pk))
    assert event.data == {"file": "cases.csv", "mode": "good_rows", "state": "done", "org_unit": "HQ",
                          "total_rows": 3, "imported_rows": 3, "error_rows": 0, "ignored_columns": []}


@pytest.mark.django_db
def test_bad_rows_are_listed_with_line_numbers_and_the_rest_imported(org, tmp_path):
    path = csv_file(tmp_path, [
        "好,内容,投诉,张三,13800001111,退款,茶,2026-09-30 16:00",
        "坏,,投诉,李四,13900002222,退款,茶,2026-09-30 16:00",
        "好,内容,建议,,,,,",
        "坏,内容,投拆,,,,,明天",
    ], header=GOOD.replace("\n", ",备注\n"))
    code, out = run(str(path), "--mode", "good")
    assert code == 1
    job = ImportJob.objects.get()
    assert out.splitlines() == [
        out.splitlines()[0],
        "Columns ignored: 备注",
        "Line 3: description: Please describe the problem.",
        "Line 5: kind: Unknown value 投拆. Allowed: Complaint, Suggestion, Praise, Inquiry. "
        "received at: Not a valid time. Use e.g. 2026-09-30 16:00.",
        f"Full error report: {job.error_report.path}",
        "CommandError: 2 rows were rejected.",
    ]
    assert out.startswith("Rows: 4, imported: 2, rejected: 2 (")
    assert Case.objects.count() == 2
    with open(job.error_report.path, encoding="utf-8-sig", newline="") as f:
        assert [r[0] for r in csv.reader(f)] == ["Line", "3", "5"]


@pytest.mark.django_db
def test_all_or_nothing_imports_nothing_when_one_row_is_bad(org, tmp_path):
    path = csv_file(tmp_path, ["好,内容,投诉,,,,,"] * 5 + ["坏,,投诉,,,,,"])
    code, out = run(str(path), "--mode", "all")
    assert code == 1
    assert "Line 7: description: Please describe the problem." in out
    assert out.rstrip().endswith(
        "CommandError: Nothing was imported: correct the rows above and import the file again.")
    assert Case.objects.count() == 0 and Customer.objects.count() == 0
    assert ImportJob.objects.get().state == "rejected"


@pytest.mark.django_db
def test_all_or_nothing_imports_a_clean_file(org, tmp_path):
    code, out = run(str(csv_file(tmp_path, ["好,内容,投诉,,,,,"] * 3)), "--mode", "all")
    assert code == 0, out
    assert Case.objects.count() == 3


@pytest.mark.django_db
def test_first_50_bad_rows_then_a_count(org, tmp_path):
    code, out = run(str(csv_file(tmp_path, ["坏,,投诉,,,,,"] * 60)))
    lines = out.splitlines()
    assert code == 1
    assert lines[1] == "Line 2: description: Please describe the problem."
    assert lines[50] == "Line 51: description: Please describe the problem."
    assert lines[51] == "… and 10 more."
    assert lines[52].startswith("Full error report: ")


@pytest.mark.django_db
def test_as_user_and_org_unit(make_user, tmp_path):
    user = make_user("cs_supervisor", unit="EAST")
    path = csv_file(tmp_path, ["好,内容,投诉,,,,,"])
    code, out = run(str(path), "--as", user.username, "--org-unit", "S-E1")
    assert code == 0, out
    case = Case.objects.get()
    assert (case.intake_by_id, case.org_unit.code) == (user.pk, "S-E1")
    assert ImportJob.objects.get().created_by == user


@pytest.mark.django_db
def test_as_user_defaults_to_their_unit_and_their_scope_applies(make_user, tmp_path):
    user = make_user("cs_supervisor", unit="S-E1")
    User.objects.filter(pk=user.pk).update(language="en")  # the import speaks the user's language
    path = csv_file(tmp_path, ["本店,内容,", "别店,内容,S-S1"], header="标题,描述,门店\n")
    code, out = run(str(path), "--as", user.username)
    assert code == 1
    assert "Line 3: org unit: Outside your scope." in out
    assert list(Case.objects.values_list("org_unit__code", flat=True)) == ["S-E1"]


@pytest.mark.django_db
def test_role_without_import_cap_is_refused(make_user, tmp_path):
    user = make_user("intake_agent")
    code, out = run(str(csv_file(tmp_path, ["好,内容,投诉,,,,,"])), "--as", user.username)
    assert (code, out) == (2, "CommandError: Your role may not import cases.\n")
    assert Case.objects.count() == 0 and ImportJob.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), [
    (["/nonexistent/cases.csv"], "File not found: /nonexistent/cases.csv"),
    (["{csv}", "--org-unit", "NOPE"], "No active org unit has the code NOPE."),
    (["{csv}", "--as", "nobody"], "No active user is called nobody."),
    (["{xls}"], "Only CSV and XLSX files can be imported. Save the sheet as .xlsx or .csv and try again."),
])
def test_usage_errors_exit_2(org, tmp_path, args, message):
    good = csv_file(tmp_path, ["好,内容,投诉,,,,,"])
    xls = tmp_path / "cases.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    code, out = run(*[a.format(csv=good, xls=xls) for a in args])
    assert (code, out) == (2, f"CommandError: {message}\n")
    assert Case.objects.count() == 0 and ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_file_without_description_column_exits_1_with_the_reason(org, tmp_path):
    code, out = run(str(csv_file(tmp_path, ["破损,138"], header="标题,电话\n")))
    assert code == 1
    assert out.splitlines()[-1].startswith("CommandError: The file has no description column.")
    assert ImportJob.objects.get().state == "rejected"


@pytest.mark.django_db
def test_progress_is_printed(org, tmp_path, monkeypatch):
    monkeypatch.setattr(actions_import, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(actions_import, "BATCH_SIZE", 2)
    code, out = run(str(csv_file(tmp_path, ["好,内容,投诉,,,,,"] * 5)), "--mode", "all")
    assert code == 0
    assert out.splitlines()[:5] == ["Checked 2 rows…", "Checked 4 rows…", "Processed 2 rows…",
                                    "Processed 4 rows…", out.splitlines()[4]]
    assert out.splitlines()[4].startswith("Rows: 5, imported: 5, rejected: 0")


@pytest.mark.django_db
def test_xlsx_and_gb18030_files_import_alike(org, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["问题描述", "手机", "受理时间"])
    wb.active.append(["漏液", 13800001111, "2026-09-30 16:00"])
    wb.save(tmp_path / "a.xlsx")
    gb = "问题描述,手机,受理时间\n破损,13800001111,2026-09-30 17:00\n".encode("gb18030")
    (tmp_path / "b.csv").write_bytes(gb)
    assert run(str(tmp_path / "a.xlsx"))[0] == 0
    assert run(str(tmp_path / "b.csv"))[0] == 0
    one = Customer.objects.get().pk
    assert list(Case.objects.order_by("number").values_list("number", "description", "customer_id")) == [
        ("KS-202609-00001", "漏液", one), ("KS-202609-00002", "破损", one)]
