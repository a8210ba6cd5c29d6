"""Case pages: list, detail (with classification and attachments), intake. parse → access → act → render."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesu.cases.access import access_case
from kesu.cases.actions import IntakeResult, do_add_attachment, do_classify_case, do_create_case
from kesu.cases.actions_attachments import do_download_attachment
from kesu.cases.completeness import describe_missing
from kesu.cases.queries import case_list as case_queryset
from kesu.cases.queries import count_cap
from kesu.console.case_page import render_detail
from kesu.console.common import console_view, paginate, require_cap, user_of
from kesu.console.forms import AttachmentForm, CaseFilterForm, ClassifyForm, NewCaseForm, check_files
from kesu.console.timeline import list_sep
from kesu.core.errors import KesuError, ValidationFailed
from kesu.org.roles import Cap
from kesu.org.scope import units_visible_to


@console_view
def case_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = CaseFilterForm(request.GET, units=units_visible_to(user))
    f = form.to_filter()
    page = paginate(request, case_queryset(user, f), cap=count_cap(f))
    return render(request, "console/case_list.html", {"form": form, "page": page})


@console_view
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render_detail(request, access_case(user_of(request), number))


@console_view
@require_POST
def case_classify(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    form = ClassifyForm(request.POST)
    if form.is_valid():
        try:
            do_classify_case(case, form.to_classification(), actor=user)
        except ValidationFailed as exc:
            form.add_kesu_error(exc)
        else:
            messages.success(request, _("The classification was saved."))
            return redirect("console:case_detail", number=case.number)
    return render_detail(request, case, status=422, classify_form=form)


@console_view
@require_POST
def attachment_add(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    case = access_case(user, number)
    require_cap(user, Cap.CASE_ATTACH, _("Your role may not add attachments."))
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            checked = check_files(form.cleaned_data["attachments"])
            added = [do_add_attachment(case, f, actor=user) for f in checked]
        except ValidationFailed as exc:
            form.add_kesu_error(exc)
        else:
            messages.success(request, _("Files attached: {added}; already on this case: {skipped}.").format(
                added=sum(a is not None for a in added), skipped=sum(a is None for a in added)))
            return redirect("console:case_detail", number=case.number)
    return render_detail(request, case, status=422, attach_form=form)


@console_view
def attachment_download(request: HttpRequest, number: str, pk: int) -> FileResponse:
    attachment = do_download_attachment(user_of(request), number, pk)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                        content_type=attachment.content_type)


def _intake_message(result: IntakeResult) -> str:
    case = result.case
    if not result.created:
        return _("This form had already been sent: it registered case {number}.").format(number=case.number)
    if case.missing_fields:
        return _("Case {number} was registered. It awaits information from the customer: {fields}.").format(
            number=case.number, fields=list_sep().join(describe_missing(case.missing_fields)))
    return _("Case {number} was registered.").format(number=case.number)


@console_view
def case_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require_cap(user, Cap.CASE_CREATE, _("Your role may not register cases."))
    default_unit = user.org_unit.code if user.org_unit else ""
    form = NewCaseForm(request.POST or None, request.FILES or None, units=units_visible_to(user),
                       default_unit=default_unit)
    if request.method == "POST" and form.is_valid():
        try:
            result = do_create_case(form.to_new_case(), actor=user,
                                    idempotency_key=form.cleaned_data["submit_key"])
        except KesuError as exc:
            form.add_kesu_error(exc)
        else:
            messages.success(request, _intake_message(result))
            return redirect("console:case_detail", number=result.case.number)
    return render(request, "console/case_new.html", {"form": form}, status=422 if form.errors else 200)
