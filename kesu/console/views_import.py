"""Import pages (IN-1, IN-7): upload a CSV/XLSX, follow the job, download its error report.

parse → access → one action → render. The upload creates an ``ImportJob`` through
``do_start_import``, which hands it to the Celery task ``run_import`` once committed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.cases.access import access_import_job, import_jobs_visible_to
from kesu.cases.actions_import import do_start_import, ignored_columns, triage_state, triage_state_label
from kesu.cases.importer import SUPPORTED_SUFFIXES, column_help
from kesu.cases.models import ImportJob
from kesu.console.common import console_view, paginate, require_cap, user_of
from kesu.console.forms import KesuErrorsMixin, StyledForm
from kesu.core.errors import NotFound, ValidationFailed
from kesu.org.models import OrgUnit, User
from kesu.org.roles import Cap
from kesu.org.scope import units_visible_to

NOT_ALLOWED = gettext_lazy("Your role may not import cases.")


class ImportForm(KesuErrorsMixin, StyledForm):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8 or GB18030) or Excel .xlsx; the column names on the first line."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUPPORTED_SUFFIXES)}),
    )
    mode = forms.ChoiceField(label=gettext_lazy("If rows have errors"), choices=ImportJob.Mode.choices,
                             initial=ImportJob.Mode.GOOD_ROWS, widget=forms.RadioSelect)
    org_unit = forms.ChoiceField(
        label=gettext_lazy("Org unit"),
        help_text=gettext_lazy("For rows that name no store or org unit of their own."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {u.code: u for u in units_visible_to(user)}
        field = self.fields["org_unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(u.code, f"{u.name} ({u.code})") for u in self.units.values()]
        field.initial = user.org_unit.code if user.org_unit else None

    def unit(self) -> OrgUnit:
        return self.units[self.cleaned_data["org_unit"]]


@console_view
def import_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require_cap(user, Cap.IMPORT, str(NOT_ALLOWED))
    page = paginate(request, import_jobs_visible_to(user))
    return render(request, "console/import_list.html", {"page": page})


@console_view
def import_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require_cap(user, Cap.IMPORT, str(NOT_ALLOWED))
    form = ImportForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = do_start_import(upload, name=upload.name, mode=form.cleaned_data["mode"],
                                  org_unit=form.unit(), actor=user)
        except ValidationFailed as exc:
            form.add_kesu_error(exc)
        else:
            messages.success(request, _("The file was received. The import runs in the background."))
            return redirect("console:import_detail", pk=job.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "console/import_new.html", {"form": form, "columns": column_help()}, status=status)


@console_view
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = access_import_job(user_of(request), pk)
    return render(request, "console/import_detail.html", {
        "job": job, "ignored": ignored_columns(job), "triage": triage_state_label(triage_state(job))})


@console_view
def import_errors(request: HttpRequest, pk: int) -> FileResponse:
    job = access_import_job(user_of(request), pk)
    if not job.error_report:
        raise NotFound(_("This import has no error report."))
    return FileResponse(job.error_report.open("rb"), as_attachment=True,
                        filename=f"import-{job.pk}-errors.csv", content_type="text/csv; charset=utf-8")
