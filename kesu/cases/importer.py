"""Reading CSV and XLSX files of cases and mapping their rows to ``NewCase`` (IN-1, IN-7).

Files are streamed: a CSV through the csv module (UTF-8 with or without BOM, else GB18030),
an XLSX through openpyxl's read-only mode. Columns are found by their header, Chinese or
English, ignoring case, spaces and underscores. Each row becomes an ``ImportRow`` carrying
the line number in the file (header = line 1) and the problems found while parsing it; the
business rules are checked by ``kesu.cases.bulk`` exactly as for any other intake.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.cases.actions import Classification, NewCase, ProductInput
from kesu.cases.bulk import ImportRow, Lookups
from kesu.cases.choices import Channel, Demand, Emotion, Kind, Priority, Severity, Validity
from kesu.core.errors import ValidationFailed
from kesu.customers.actions import CustomerInput
from kesu.customers.choices import CustomerLevel, CustomerType

#: Naive times in a file are China time, like the numbers' months.
FILE_TZ = ZoneInfo("Asia/Shanghai")
SUPPORTED_SUFFIXES = (".csv", ".xlsx")
MAX_INT = 2_147_483_647

#: Canonical field → header spellings (compared after ``normalize_header``).
HEADERS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "主题", "title", "subject"),
    "description": ("描述", "内容", "问题描述", "投诉内容", "反馈内容", "详细描述", "description",
                    "content", "details"),
    "kind": ("类型", "种类", "客诉类型", "kind", "case kind"),
    "channel": ("渠道", "来源", "受理渠道", "channel", "source"),
    "customer_name": ("客户", "客户姓名", "姓名", "客户名称", "联系人", "customer", "customer name", "name"),
    "phone": ("电话", "手机", "联系电话", "手机号", "手机号码", "电话号码", "phone", "mobile", "tel",
              "telephone", "customer phone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "customer email"),
    "address": ("地址", "联系地址", "address"),
    "organisation": ("单位", "公司", "客户单位", "organisation", "organization", "company"),
    "level": ("客户级别", "客户等级", "级别", "level", "customer level"),
    "customer_type": ("客户类型", "customer type"),
    "product": ("产品", "产品名称", "商品", "商品名称", "product", "product name"),
    "model": ("型号", "规格", "型号规格", "规格型号", "model", "specification", "spec"),
    "batch": ("批次", "批号", "批次号", "生产批号", "batch", "lot"),
    "serial": ("序列号", "serial", "serial number", "sn"),
    "delivered_on": ("发货日期", "交付日期", "送货日期", "delivered on", "delivery date", "ship date"),
    "quantity": ("数量", "quantity", "qty"),
    "defective_quantity": ("不良数量", "不良数", "defective quantity", "defective"),
    "order_ref": ("订单号", "订单编号", "order ref", "order", "order no", "order number"),
    "demands": ("诉求", "客户诉求", "demands", "demand"),
    "emotion": ("情绪", "客户情绪", "emotion", "customer emotion"),
    "org_unit": ("门店", "机构", "机构编码", "门店编码", "组织机构", "org unit", "store", "unit"),
    "received_at": ("受理时间", "接收时间", "反馈时间", "投诉时间", "received at", "received"),
    "category": ("分类", "问题分类", "category"),
    "validity": ("有效性", "validity"),
    "severity": ("严重度", "严重程度", "severity"),
    "priority": ("优先级", "priority"),
}

#: Error keys (as ``kesu.cases.actions._validate`` names them) → the field's label.
FIELD_LABELS: dict[str, Promise] = {
    "title": gettext_lazy("title"),
    "description": gettext_lazy("description"),
    "kind": gettext_lazy("kind"),
    "channel": gettext_lazy("channel"),
    "customer.name": gettext_lazy("customer name"),
    "customer.phone": gettext_lazy("phone"),
    "customer.email": gettext_lazy("e-mail"),
    "customer.address": gettext_lazy("address"),
    "customer.organisation": gettext_lazy("organisation"),
    "customer.level": gettext_lazy("customer level"),
    "customer.type": gettext_lazy("customer type"),
    "product.name": gettext_lazy("product"),
    "product.model": gettext_lazy("model / specification"),
    "product.batch": gettext_lazy("batch / lot"),
    "product.serial": gettext_lazy("serial number"),
    "product.delivered_on": gettext_lazy("delivery date"),
    "product.quantity": gettext_lazy("quantity"),
    "product.defective_quantity": gettext_lazy("defective quantity"),
    "order_ref": gettext_lazy("order reference"),
    "demands": gettext_lazy("demands"),
    "emotion": gettext_lazy("customer emotion"),
    "org_unit": gettext_lazy("org unit"),
    "received_at": gettext_lazy("received at"),
    "category": gettext_lazy("category"),
    "validity": gettext_lazy("validity"),
    "severity": gettext_lazy("severity"),
    "priority": gettext_lazy("priority"),
}

#: Chinese (and other common) spellings of the codes, besides the codes and English labels.
KIND_WORDS = {"投诉": "complaint", "客诉": "complaint", "建议": "suggestion", "表扬": "praise",
              "赞扬": "praise", "好评": "praise", "咨询": "inquiry", "询问": "inquiry"}
CHANNEL_WORDS = {
    "电话": "phone", "来电": "phone", "热线": "phone", "来访": "walk_in", "到店": "walk_in",
    "信函": "letter", "来信": "letter", "传真": "fax", "网站": "portal", "网上提交": "portal",
    "门户": "portal", "邮件": "email", "电子邮件": "email", "导入": "import", "微信": "wechat",
    "企业微信": "wechat", "企微": "wechat", "钉钉": "dingtalk", "电商": "ecommerce",
    "电商平台": "ecommerce", "淘宝": "ecommerce", "天猫": "ecommerce", "京东": "ecommerce",
    "拼多多": "ecommerce", "社交媒体": "social_media", "微博": "social_media", "抖音": "social_media",
    "小红书": "social_media", "大众点评": "social_media", "内部": "internal",
    "内部质量报警": "internal", "问卷": "survey", "调查": "survey", "满意度调查": "survey",
    "第三方": "third_party", "第三方转办": "third_party", "转办": "third_party",
}
DEMAND_WORDS = {
    "上门处理": "on_site", "上门": "on_site", "派人到现场": "on_site", "现场处理": "on_site",
    "补货": "replenish", "补发": "replenish", "换货": "exchange", "更换": "exchange",
    "退货": "return", "维修": "repair", "修理": "repair", "退款": "refund", "索赔": "refund",
    "赔偿": "compensation", "补偿": "compensation", "道歉": "apology", "赔礼道歉": "apology",
    "其他": "other", "其它": "other",
}
EMOTION_WORDS = {"平静": "calm", "冷静": "calm", "不满": "dissatisfied", "不满意": "dissatisfied",
                 "愤怒": "angry", "生气": "angry", "焦虑": "anxious", "着急": "anxious",
                 "焦急": "anxious", "困惑": "confused", "疑惑": "confused", "满意": "pleased",
                 "高兴": "pleased", "开心": "pleased"}
VALIDITY_WORDS = {"有效": "specific", "具体": "specific", "具体反馈": "specific", "无效": "vague",
                  "笼统": "vague", "笼统反馈": "vague", "模糊": "vague"}
SEVERITY_WORDS = {"一般": "general", "轻微": "minor", "严重": "major", "重大": "serious", "特殊": "special"}
PRIORITY_WORDS = {"紧急": "urgent", "重要": "important", "一般": "general", "普通": "general"}
LEVEL_WORDS = {"vip": "vip", "贵宾": "vip", "普通": "normal", "一般": "normal"}
CUSTOMER_TYPE_WORDS = {
    "消费者": "consumer", "个人": "consumer", "经销商": "distributor", "代理商": "distributor",
    "超市": "supermarket", "商超": "supermarket", "监管部门": "regulator", "监管机构": "regulator",
    "媒体": "media", "零售商": "retailer", "采购商": "buyer", "内部员工": "internal", "员工": "internal",
}

#: Column → the key of its label in ``FIELD_LABELS``.
_COLUMN_KEYS = {
    "customer_name": "customer.name", "phone": "customer.phone", "email": "customer.email",
    "address": "customer.address", "organisation": "customer.organisation", "level": "customer.level",
    "customer_type": "customer.type", "product": "product.name", "model": "product.model",
    "batch": "product.batch", "serial": "product.serial", "delivered_on": "product.delivered_on",
    "quantity": "product.quantity", "defective_quantity": "product.defective_quantity",
}


def column_help() -> list[tuple[str, str]]:
    """(field label, the column names it is recognised by) for the upload page."""
    return [(str(FIELD_LABELS[_COLUMN_KEYS.get(f, f)]), " / ".join(names)) for f, names in HEADERS.items()]


_SPACES = re.compile(r"[\s_\-\u3000]+")
_DEMAND_SEPARATORS = re.compile(r"[，,、;；/／|｜\n]+")
_DATETIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y年%m月%d日 %H:%M:%S",
                     "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日", "%Y.%m.%d %H:%M",
                     "%Y.%m.%d")
_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - Excel serial dates have no zone


def normalize_header(text: object) -> str:
    """``" Customer_Name* "`` and ``"customer name"`` compare equal."""
    value = "" if text is None else str(text)
    value = value.strip().strip("*＊:：").strip()
    return _SPACES.sub("", value.casefold())


_HEADER_INDEX = {normalize_header(s): f for f, spellings in HEADERS.items() for s in spellings}


# --- files ---------------------------------------------------------------------------------

def check_file_type(name: str) -> str:
    """The lower-case suffix of a supported file, else a ``ValidationFailed``."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValidationFailed(
            _("Only CSV and XLSX files can be imported. Save the sheet as .xlsx or .csv and try again."),
            code="unsupported_file", fields={"file": [_("Unsupported file type.")]},
        )
    return suffix


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` when the whole file is valid UTF-8 (BOM or not), else ``gb18030``."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _csv_rows(path: Path) -> Generator[tuple[int, Sequence[object]]]:
    encoding = detect_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as f:
            first = f.readline()
            f.seek(0)
            delimiter = "\t" if "\t" in first and "," not in first else ","
            reader = csv.reader(f, delimiter=delimiter)
            end = 0
            for row in reader:
                start, end = end + 1, reader.line_num
                yield start, row
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            _("The file is neither UTF-8 nor GB18030 text. Save it as CSV UTF-8 and try again."),
            code="bad_encoding",
        ) from exc
    except csv.Error as exc:
        raise ValidationFailed(
            _("The CSV file cannot be read: {error}").format(error=exc), code="bad_file"
        ) from exc


def _xlsx_rows(path: Path) -> Generator[tuple[int, Sequence[object]]]:
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed(_("The file is not a valid XLSX workbook."), code="bad_file") from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong dimensions; read every row
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


@contextmanager
def read_table(path: Path, name: str | None = None) -> Iterator[Iterator[tuple[int, Sequence[object]]]]:
    """Open ``path`` and yield an iterator of ``(line, cells)``, header first."""
    suffix = check_file_type(name or path.name)
    rows = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
    try:
        yield rows
    finally:
        rows.close()


# --- header --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnMap:
    columns: dict[str, int]  # field → column index
    ignored: list[str]  # headers that were not understood, or named a field a second time


def map_header(cells: Sequence[object]) -> ColumnMap:
    """Find the columns; refuse a file without a description column at once."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        target = _HEADER_INDEX.get(normalize_header(text))
        if target is None or target in columns:
            if text:
                ignored.append(text)
            continue
        columns[target] = index
    if "description" not in columns:
        raise ValidationFailed(
            _("The file has no description column. One column must hold the customer's words, "
              "named 描述, 内容, 问题描述 or description."),
            code="no_description_column", fields={"file": [_("No description column.")]},
        )
    return ColumnMap(columns=columns, ignored=ignored)


# --- values --------------------------------------------------------------------------------

_WORDS: dict[type[models.TextChoices], dict[str, str]] = {
    Kind: KIND_WORDS, Channel: CHANNEL_WORDS, Demand: DEMAND_WORDS, Emotion: EMOTION_WORDS,
    Validity: VALIDITY_WORDS, Severity: SEVERITY_WORDS, Priority: PRIORITY_WORDS,
    CustomerLevel: LEVEL_WORDS, CustomerType: CUSTOMER_TYPE_WORDS,
}


@cache
def _choice_index(choices: type[models.TextChoices]) -> dict[str, str]:
    """Code, English label and the Chinese words of ``_WORDS`` → code."""
    index = {normalize_header(code): code for code in choices.values}
    with translation.override("en"):
        index.update({normalize_header(str(label)): code for code, label in choices.choices})
    index.update({normalize_header(word): code for word, code in _WORDS[choices].items()})
    return index


def _allowed(choices: type[models.TextChoices]) -> str:
    return ", ".join(str(label) for label in choices.labels)


@lru_cache(maxsize=4096)
def _lookup_choice(choices: type[models.TextChoices], value: str) -> str | None:
    """The code a cell's value stands for (cached: files repeat the same few values)."""
    return _choice_index(choices).get(normalize_header(value))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _excel_serial(value: object) -> datetime | None:
    """An Excel serial day number (1 = 1900-01-01) of a plausible date, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        if not isinstance(value, str) or not re.fullmatch(r"\d{5}(\.\d+)?", value.strip()):
            return None
        value = float(value)
    if not 1000 <= value <= 200_000:
        return None
    return _EXCEL_EPOCH + timedelta(days=float(value))


def parse_datetime_cell(value: object) -> datetime | None:
    """A date or time from a cell, in the file's zone when it gives none. Raises ValueError."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date):
        found = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - zone added below
    elif (serial := _excel_serial(value)) is not None:
        found = serial
    else:
        text = _text(value).strip()
        try:
            found = datetime.fromisoformat(text)
        except ValueError:
            for fmt in _DATETIME_FORMATS:
                try:
                    found = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone added below
                    break
                except ValueError:
                    continue
            else:
                raise
    if found.tzinfo is None:
        found = found.replace(tzinfo=FILE_TZ)
    return found


def _parse_int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    text = _text(value).strip().replace(",", "").replace("，", "")
    if re.fullmatch(r"[+-]?\d+(\.0+)?", text) is None:
        raise ValueError(value)
    return int(float(text)) if "." in text else int(text)


# --- rows ----------------------------------------------------------------------------------

_MAX_LENGTHS = {
    "customer.name": 120, "customer.phone": 40, "customer.email": 254, "customer.address": 300,
    "customer.organisation": 200, "product.name": 200, "product.model": 120, "product.batch": 80,
    "product.serial": 80, "order_ref": 80, "description": 20000,
}


@dataclass
class _Row:
    cells: Sequence[object]
    columns: dict[str, int]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def raw(self, name: str) -> object:
        index = self.columns.get(name)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def text(self, name: str, key: str = "") -> str:
        value = _text(self.raw(name))
        if "\x00" in value:  # PostgreSQL cannot store it; no export means it
            self.fail(key or _COLUMN_KEYS.get(name, name), _("Contains a NUL character."))
            value = value.replace("\x00", "")
        limit = _MAX_LENGTHS.get(key)
        if limit is not None and len(value.strip()) > limit:
            self.fail(key, _("At most {n} characters.").format(n=limit))
        return value

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def choice(self, name: str, key: str, choices: type[models.TextChoices], default: str = "") -> str:
        value = self.text(name).strip()
        if not value:
            return default
        code = _lookup_choice(choices, value)
        if code is None:
            self.fail(key, _("Unknown value {value}. Allowed: {allowed}.").format(
                value=value, allowed=_allowed(choices)))
            return default
        return code

    def integer(self, name: str, key: str) -> int | None:
        value = self.raw(name)
        if value is None or _text(value).strip() == "":
            return None
        try:
            number = _parse_int(value)
        except ValueError:
            self.fail(key, _("Enter a whole number."))
            return None
        if number < 0 and key != "product.quantity":  # the intake rules check the quantity itself
            self.fail(key, _("Must not be negative."))
            return None
        if number > MAX_INT:
            self.fail(key, _("The number is too large."))
            return None
        return number

    def moment(self, name: str, key: str) -> datetime | None:
        value = self.raw(name)
        if value is None or _text(value).strip() == "":
            return None
        try:
            return parse_datetime_cell(value)
        except (ValueError, OverflowError):
            self.fail(key, _("Not a valid time. Use e.g. 2026-09-30 16:00."))
            return None

    def demands(self) -> list[str]:
        """Several demands separated by ，,、;/ (or spaces), as codes, in the file's order."""
        codes: list[str] = []
        for part in _DEMAND_SEPARATORS.split(self.text("demands")):
            part = part.strip()
            if not part:
                continue
            code = _lookup_choice(Demand, part)
            words: list[tuple[str, str | None]] = (
                [(part, code)] if code else [(w, _lookup_choice(Demand, w)) for w in part.split()]
            )
            for word, found in words:
                if found is None:
                    self.fail("demands", _("Unknown value {value}. Allowed: {allowed}.").format(
                        value=word, allowed=_allowed(Demand)))
                else:
                    codes.append(found)
        return codes


class RowMapper:
    """Turns the cells of one row into an ``ImportRow`` using the file's header."""

    def __init__(self, header: ColumnMap, lookups: Lookups, default_org_unit: str) -> None:
        self.columns = header.columns
        self.lookups = lookups
        self.default_org_unit = default_org_unit

    def map(self, line: int, cells: Sequence[object]) -> ImportRow | None:
        """None for a blank row."""
        if not any(c is not None and _text(c).strip() for c in cells):
            return None
        row = _Row(cells, self.columns)
        data = NewCase(
            kind=row.choice("kind", "kind", Kind, Kind.COMPLAINT),
            channel=row.choice("channel", "channel", Channel, Channel.IMPORT),
            title=row.text("title"),
            description=row.text("description", "description"),
            org_unit=self._org_unit(row),
            customer=self._customer(row),
            product=self._product(row),
            demands=row.demands(),
            emotion=row.choice("emotion", "emotion", Emotion),
            order_ref=row.text("order_ref", "order_ref"),
            received_at=row.moment("received_at", "received_at"),
            classification=Classification(
                category=self._category(row),
                validity=row.choice("validity", "validity", Validity),
                severity=row.choice("severity", "severity", Severity),
                priority=row.choice("priority", "priority", Priority),
            ),
        )
        return ImportRow(line=line, data=data, errors=row.errors, kind_given=bool(row.text("kind").strip()))

    def _customer(self, row: _Row) -> CustomerInput:
        return CustomerInput(
            name=row.text("customer_name", "customer.name"),
            phone=row.text("phone", "customer.phone"),
            email=row.text("email", "customer.email"),
            address=row.text("address", "customer.address"),
            organisation=row.text("organisation", "customer.organisation"),
            level=row.choice("level", "customer.level", CustomerLevel, CustomerLevel.NORMAL),
            type=row.choice("customer_type", "customer.type", CustomerType, CustomerType.CONSUMER),
        )

    def _product(self, row: _Row) -> ProductInput:
        delivered = row.moment("delivered_on", "product.delivered_on")
        return ProductInput(
            name=row.text("product", "product.name"),
            model=row.text("model", "product.model"),
            batch=row.text("batch", "product.batch"),
            serial=row.text("serial", "product.serial"),
            delivered_on=delivered.date() if delivered else None,
            quantity=row.integer("quantity", "product.quantity"),
            defective_quantity=row.integer("defective_quantity", "product.defective_quantity"),
        )

    def _org_unit(self, row: _Row) -> str:
        value = row.text("org_unit").strip()
        if not value:
            return self.default_org_unit
        code = self.lookups.unit_code(value)
        if code is None:
            row.fail("org_unit", _("No org unit has this code or name: {value}.").format(value=value))
            return self.default_org_unit
        return code

    def _category(self, row: _Row) -> str:
        value = row.text("category").strip()
        if not value:
            return ""
        code = self.lookups.category_code(value)
        if code is None:
            row.fail("category", _("No category has this code or name: {value}.").format(value=value))
            return ""
        return code


def row_message(errors: dict[str, list[str]]) -> str:
    """One line naming each field: ``类型：…。 电话：…。``"""
    parts = [
        _("{field}: {message}").format(field=str(FIELD_LABELS.get(key, key)), message=message)
        for key, messages in errors.items() for message in messages
    ]
    return " ".join(parts)

