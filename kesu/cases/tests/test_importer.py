"""Reading CSV/XLSX and mapping rows: headers, encodings, line numbers, values, parse errors."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils import translation

from kesu.cases.actions import Classification, NewCase, ProductInput
from kesu.cases.bulk import ImportRow, Lookups
from kesu.cases.importer import (
    RowMapper,
    check_file_type,
    detect_encoding,
    map_header,
    normalize_header,
    parse_datetime_cell,
    read_table,
    row_message,
)
from kesu.core.errors import ValidationFailed
from kesu.customers.actions import CustomerInput

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def write(tmp_path: Path, text: str, name: str = "f.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read(path: Path, default_unit: str = "HQ") -> tuple[list[str], list[ImportRow]]:
    """(ignored columns, rows) as the import reads them."""
    with read_table(path) as table:
        header = map_header(next(table)[1])
        mapper = RowMapper(header, Lookups.load(), default_unit)
        rows = [r for line, cells in table if (r := mapper.map(line, cells)) is not None]
    return header.ignored, rows


CHINESE = (
    "受理时间,渠道,类型,标题,问题描述,客户姓名,联系电话,邮箱,地址,客户级别,客户类型,产品名称,规格型号,批号,"
    "序列号,发货日期,数量,不良数量,订单号,诉求,情绪,门店,分类,有效性,严重程度,优先级,备注\n"
    "2026-09-30 16:00,电话,投诉,包装破损,收到的茶叶包装破损,张三,138-0000-1111,ZS@Example.cn,"
    "杭州市西湖区,VIP,经销商,西湖龙井,250g,B2026,SN-1,2026/9/20,10,2,JD-1,退款、道歉/换货,愤怒,"
    "上海南京路店,包装,有效,严重,紧急,x\n"
)

EXPECTED = NewCase(
    kind="complaint", channel="phone", title="包装破损", description="收到的茶叶包装破损", org_unit="S-E1",
    customer=CustomerInput(name="张三", phone="138-0000-1111", email="ZS@Example.cn", address="杭州市西湖区",
                           level="vip", type="distributor"),
    product=ProductInput(name="西湖龙井", model="250g", batch="B2026", serial="SN-1",
                         delivered_on=date(2026, 9, 20), quantity=10, defective_quantity=2),
    demands=["refund", "apology", "exchange"], emotion="angry", order_ref="JD-1",
    received_at=datetime(2026, 9, 30, 16, 0, tzinfo=SH),
    classification=Classification(category="packaging", validity="specific", severity="major",
                                  priority="urgent"),
)


@pytest.mark.django_db
def test_chinese_headers_and_labels(org, tmp_path):
    ignored, rows = read(write(tmp_path, CHINESE))
    assert ignored == ["备注"]
    assert [(r.line, r.errors) for r in rows] == [(2, {})]
    assert rows[0].data == EXPECTED


@pytest.mark.django_db
def test_english_headers_any_case_and_spacing_and_codes(org, tmp_path):
    text = (
        " Received_At ,CHANNEL,Kind,Title,  description ,Customer Name,phone,E-Mail,Address,level,"
        "customer type,Product,model,batch,serial,delivery date,Qty,defective quantity,order ref,"
        "demands,emotion,org unit,category,validity,severity,priority,Notes\n"
        "2026-09-30T16:00:00+08:00,phone,complaint,包装破损,收到的茶叶包装破损,张三,138-0000-1111,ZS@Example.cn,"
        "杭州市西湖区,vip,distributor,西湖龙井,250g,B2026,SN-1,2026-09-20,10,2,JD-1,\"refund,apology;Exchange\","
        "Angry,S-E1,Packaging,specific,major,urgent,x\n"
    )
    ignored, rows = read(write(tmp_path, text))
    assert ignored == ["Notes"]
    assert rows[0].errors == {}
    assert rows[0].data == EXPECTED


@pytest.mark.django_db
def test_defaults_for_missing_columns_and_empty_cells(org, tmp_path):
    _, rows = read(write(tmp_path, "内容,类型,渠道\n东西坏了,,\n"), default_unit="EAST")
    assert rows[0].data == NewCase(kind="complaint", channel="import", description="东西坏了",
                                   org_unit="EAST")


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_encodings(org, tmp_path, encoding):
    path = write(tmp_path, "标题,问题描述,客户姓名\n破损,茶叶发霉了，包装破了,张三\n", encoding=encoding)
    assert detect_encoding(path) == ("gb18030" if encoding == "gb18030" else "utf-8-sig")
    _, rows = read(path)
    assert (rows[0].data.title, rows[0].data.description, rows[0].data.customer.name) == (
        "破损", "茶叶发霉了，包装破了", "张三")


@pytest.mark.django_db
def test_tab_separated_text_is_read_too(org, tmp_path):
    _, rows = read(write(tmp_path, "标题\t描述\n破损\t发霉了, 真的\n"))
    assert (rows[0].data.title, rows[0].data.description) == ("破损", "发霉了, 真的")


@pytest.mark.django_db
def test_line_numbers_are_physical_lines_with_blank_and_multiline_rows(org, tmp_path):
    text = "描述,数量\n第一行,1\n\n\"两行\n描述\",x\n,,\n第五,2\n"
    _, rows = read(write(tmp_path, text))
    assert [(r.line, r.data.description) for r in rows] == [(2, "第一行"), (4, "两行\n描述"), (7, "第五")]
    assert rows[1].errors == {"product.quantity": ["Enter a whole number."]}


@pytest.mark.django_db
def test_xlsx_rows_dates_numbers_and_line_numbers(org, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["受理时间", "问题描述", "手机", "数量", "发货日期", "批号"])
    ws.append([datetime(2026, 9, 30, 16, 0), "发霉", 13800001111, 3, date(2026, 9, 1), 20260901])
    ws.append([])
    ws.append(["2026-10-01 09:30", "破损", "138 0000 2222", 2.0, "2026/09/02", "B-2"])
    ws.append([46295.5, "漏液", None, 1.5, None, None])
    path = tmp_path / "cases.xlsx"
    wb.save(path)
    _, rows = read(path)
    assert [r.line for r in rows] == [2, 4, 5]
    first, second, third = (r.data for r in rows)
    assert (first.received_at, first.customer.phone, first.product.quantity, first.product.delivered_on,
            first.product.batch) == (datetime(2026, 9, 30, 16, 0, tzinfo=SH), "13800001111", 3,
                                     date(2026, 9, 1), "20260901")
    assert (second.received_at, second.product.quantity) == (datetime(2026, 10, 1, 9, 30, tzinfo=SH), 2)
    assert third.received_at == datetime(2026, 9, 30, 12, 0, tzinfo=SH)  # Excel serial day 46295.5
    assert rows[2].errors == {"product.quantity": ["Enter a whole number."]}


@pytest.mark.django_db
def test_parse_errors_name_the_field(org, tmp_path):
    text = (
        "描述,类型,渠道,数量,不良数量,受理时间,发货日期,诉求,门店,分类,客户级别,订单号\n"
        f"坏了,投拆,飞鸽,三,-1,昨天,2026-13-01,退款、砸店,不存在的店,不存在,超级,{'x' * 81}\n"
    )
    _, rows = read(write(tmp_path, text))
    assert rows[0].errors == {
        "kind": ["Unknown value 投拆. Allowed: Complaint, Suggestion, Praise, Inquiry."],
        "channel": ["Unknown value 飞鸽. Allowed: Phone, Walk-in, Letter, Fax, Customer portal, API, "
                    "E-mail, Import, WeChat / WeCom, DingTalk, E-commerce platform, Social media, "
                    "Internal quality alarm, Survey, Third-party transfer."],
        "org_unit": ["No org unit has this code or name: 不存在的店."],
        "customer.level": ["Unknown value 超级. Allowed: VIP, Normal."],
        "product.delivered_on": ["Not a valid time. Use e.g. 2026-09-30 16:00."],
        "product.quantity": ["Enter a whole number."],
        "product.defective_quantity": ["Must not be negative."],
        "demands": ["Unknown value 砸店. Allowed: On-site visit, Replenish, Exchange, Return, Repair, "
                    "Refund / claim, Compensation, Apology, Other."],
        "order_ref": ["At most 80 characters."],
        "received_at": ["Not a valid time. Use e.g. 2026-09-30 16:00."],
        "category": ["No category has this code or name: 不存在."],
    }
    assert row_message({"kind": ["Unknown value x."], "product.quantity": ["Enter a whole number."]}) == (
        "kind: Unknown value x. quantity: Enter a whole number.")


@pytest.mark.django_db
def test_demands_split_on_chinese_and_ascii_separators_and_spaces(org, tmp_path):
    _, rows = read(write(tmp_path, "描述,诉求\n坏了,退款/索赔，道歉;换货 维修、上门处理|On-site visit\n"))
    assert rows[0].data.demands == ["refund", "refund", "apology", "exchange", "repair", "on_site", "on_site"]


def test_header_normalisation():
    assert normalize_header(" Customer_Name* ") == normalize_header("customer name") == "customername"
    assert normalize_header("问题描述：") == "问题描述"


@pytest.mark.django_db
def test_duplicate_and_unknown_columns_are_listed():
    header = map_header(["描述", "内容", "Foo", None, "  "])
    assert header.columns == {"description": 0}
    assert header.ignored == ["内容", "Foo"]


def test_a_file_without_description_column_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        map_header(["标题", "电话"])
    assert exc.value.code == "no_description_column"
    assert str(exc.value.message).startswith("The file has no description column.")


@pytest.mark.parametrize("name", ["a.xls", "a.txt", "a", "a.csv.zip"])
def test_unsupported_file_types_are_refused(name):
    with pytest.raises(ValidationFailed) as exc:
        check_file_type(name)
    assert exc.value.code == "unsupported_file"
    assert check_file_type("A.CSV") == ".csv" and check_file_type("b.XLSX") == ".xlsx"


def test_a_broken_xlsx_is_refused(tmp_path):
    path = write(tmp_path, "not a zip", name="x.xlsx")
    with pytest.raises(ValidationFailed) as exc, read_table(path) as table:
        next(table)
    assert exc.value.code == "bad_file"


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-09-30 16:00", datetime(2026, 9, 30, 16, 0, tzinfo=SH)),
    ("2026-09-30T16:00:00+08:00", datetime(2026, 9, 30, 8, 0, tzinfo=ZoneInfo("UTC"))),
    ("2026/9/30 16:00", datetime(2026, 9, 30, 16, 0, tzinfo=SH)),
    ("2026年9月30日", datetime(2026, 9, 30, 0, 0, tzinfo=SH)),
    ("20260930", datetime(2026, 9, 30, 0, 0, tzinfo=SH)),
    ("46295", datetime(2026, 9, 30, 0, 0, tzinfo=SH)),
])
def test_times_are_read_in_china_time_unless_they_say_otherwise(text, expected):
    assert parse_datetime_cell(text) == expected
