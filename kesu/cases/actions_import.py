"""Import jobs (IN-1, IN-7): start one from an upload or a file, then run it batch by batch.

``do_start_import`` stores the file and the caller's choices in an ``ImportJob``;
``do_run_import`` (called by the Celery task ``run_import`` or directly by ``kesu import``)
streams the file through ``kesu.cases.importer`` into ``kesu.cases.bulk.do_import_batch``.

Modes: *good rows* imports every good row and reports the bad ones; *all or nothing* checks
the whole file first and imports nothing when one row is bad. Both passes use the same org
units and categories, loaded once, so a file that passed the check imports in full.
"""

from __future__ import annotations

import csv
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesu.cases.bulk import (
    ImportRow,
    Lookups,
    RowError,
    actor_scope,
    bulk_session,
    check_actor_may_import,
    do_import_batch,
    validate_batch,
)
from kesu.cases.import_parallel import ParallelRunner, WorkerSetup, worker_count
from kesu.cases.importer import ColumnMap, RowMapper, check_file_type, map_header, read_table, row_message
from kesu.cases.models import ImportJob
from kesu.core import audit
from kesu.core.errors import Forbidden, KesuError, ValidationFailed
from kesu.core.models import AuditEvent
from kesu.org.models import OrgUnit, User
from kesu.org.roles import Cap, has_cap
from kesu.org.scope import visible_unit_ids
from kesu.triage.backfill import BackfillResult, IdRanges, add_ids, count_ids, do_triage_imported

BATCH_SIZE = 2000
#: A batch of at most this many rows is triaged inline (a small upload shows its suggestions at
#: once); larger ones leave it to ``do_triage_import`` after the import (ADR 0010).
INLINE_TRIAGE_ROWS = 200
#: Bad rows kept on the job for its page; the error report holds them all.
SHOWN_ERRORS = 200
PROGRESS_EVERY = 100_000
#: How often (in rows) a running job's counts are written for its page.
SAVE_EVERY = 20_000
#: A running job writes its heartbeat at least this often (seconds) …
HEARTBEAT_SECONDS = 30
#: … and is taken for interrupted without one for this long.
STALE_AFTER = timedelta(minutes=15)
#: Read the next batch in a thread while the current one is written.
PREFETCH = True
#: Files from this size on are written by worker processes on PostgreSQL (ADR 0012); smaller
#: ones would spend longer starting the workers than they save.
PARALLEL_MIN_BYTES = 4 * 2**20

Progress = Callable[[str, int], None]  # (phase "check", "import" or "triage", rows so far)


# --- start -----------------------------------------------------------------------------------


def do_start_import(
    upload: IO[bytes] | File,
    *,
    name: str,
    mode: str,
    org_unit: OrgUnit,
    actor: User | None,
    enqueue: bool = True,
) -> ImportJob:
    """Keep the file and create a pending job; with ``enqueue`` the Celery task runs it on commit.

    ``actor`` None is an operator on the server (``kesu import`` without ``--as``).
    """
    if actor is not None and not has_cap(actor.role, Cap.IMPORT):
        raise Forbidden(_("Your role may not import cases."))
    check_file_type(name)
    if mode not in ImportJob.Mode.values:
        raise ValidationFailed(_("Please correct the marked fields."), fields={"mode": [_("Unknown value.")]})
    ids = visible_unit_ids(actor) if actor is not None else None
    if not org_unit.is_active or (ids is not None and org_unit.pk not in ids):
        raise ValidationFailed(
            _("You can only register cases for your own org unit and the units below it."),
            fields={"org_unit": [_("Outside your scope.")]},
        )
    job = ImportJob(original_name=Path(name).name[:200], mode=mode, org_unit=org_unit, created_by=actor)
    job.file.save(Path(name).name, upload if isinstance(upload, File) else File(upload), save=False)
    with transaction.atomic():
        job.save()
        if enqueue:
            from kesu.cases.tasks import run_import

            job_id = job.pk
            transaction.on_commit(lambda: run_import.delay(job_id))
    return job


# --- run -------------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    total: int = 0
    imported: int = 0
    errors: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    rejected: bool = False  # all-or-nothing found bad rows: nothing was imported
    #: Imported cases left for ``do_triage_import`` (ids as ranges).
    triage_ranges: IdRanges = field(default_factory=list)


OnBatch = Callable[[str, ImportOutcome], None]


class ErrorReport:
    """Every bad row, streamed to a CSV file (line, message); the first ones kept in memory."""

    def __init__(self) -> None:
        self.file = tempfile.NamedTemporaryFile(
            "w+", encoding="utf-8-sig", newline="", suffix=".csv", delete=False
        )
        self.writer = csv.writer(self.file)
        self.writer.writerow([_("Line"), _("Error")])
        self.count = 0
        self.first: list[dict[str, Any]] = []

    def add(self, errors: list[RowError]) -> None:
        for error in errors:
            message = row_message(error.fields)
            self.writer.writerow([error.line, message])
            if len(self.first) < SHOWN_ERRORS:
                self.first.append({"line": error.line, "message": message})
            self.count += 1

    def close(self) -> Path:
        self.file.close()
        return Path(self.file.name)


class _Reader:
    """Streams the file as batches of ``ImportRow``; may be read twice (check, then import)."""

    def __init__(self, path: Path, name: str, lookups: Lookups, default_unit: OrgUnit) -> None:
        self.path, self.name, self.lookups, self.default_unit = path, name, lookups, default_unit
        self.header: ColumnMap | None = None

    def batches(self) -> Iterator[list[ImportRow]]:
        """The file's rows in batches, read and mapped one batch ahead in a thread.

        The database works without the GIL (SQLite in C, PostgreSQL in its own process), so
        reading the next batch overlaps with writing this one.
        """
        return _prefetch(self._batches()) if PREFETCH else self._batches()

    def _batches(self) -> Iterator[list[ImportRow]]:
        with read_table(self.path, self.name) as table:
            mapper = RowMapper(self._header(table), self.lookups, self.default_unit.code)
            batch: list[ImportRow] = []
            for line, cells in table:
                row = mapper.map(line, cells)
                if row is None:
                    continue
                batch.append(row)
                if len(batch) >= BATCH_SIZE:
                    yield batch
                    batch = []
            if batch:
                yield batch

    def raw_batches(self) -> Generator[list[tuple[int, Sequence[object]]]]:
        """The file's rows as (line, cells), unmapped, ``BATCH_SIZE`` lines a batch (for workers)."""
        with read_table(self.path, self.name) as table:
            self._header(table)
            while batch := list(islice(table, BATCH_SIZE)):
                yield batch

    def read_header(self) -> ColumnMap:
        """Open the file for its header alone: refuses an empty file or one without a description."""
        with read_table(self.path, self.name) as table:
            return self._header(table)

    def _header(self, table: Iterator[tuple[int, Sequence[object]]]) -> ColumnMap:
        first = next(table, None)
        if first is None:
            raise ValidationFailed(_("The file is empty."), code="empty_file")
        self.header = map_header(first[1])
        return self.header


def _prefetch(batches: Iterator[list[ImportRow]], depth: int = 2) -> Iterator[list[ImportRow]]:
    """Iterate ``batches`` in a worker thread, up to ``depth`` batches ahead; errors re-raised here."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            with suppress(queue.Full):
                ahead.put(item, timeout=0.1)
                return True
        return False

    def work() -> None:
        try:
            with translation.override(language):  # messages in the job's language
                for batch in batches:
                    if not put(("batch", batch)):
                        return
            put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(("error", exc))
        finally:
            batches.close()  # type: ignore[attr-defined]

    worker = threading.Thread(target=work, name="import-reader", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        with suppress(queue.Empty):
            while True:
                ahead.get_nowait()
        worker.join()


@dataclass
class BatchReport:
    """What one batch did, as the job counts it (sent back by import workers, so plain data)."""

    rows: int
    imported: int
    errors: list[RowError]
    #: Imported cases left for ``do_triage_import``: those whose kind the file gave.
    triage_ids: list[int]


CHECK, IMPORT = "check", "import"


def run_batch(
    phase: str, batch: list[ImportRow], *, actor: User | None, lookups: Lookups, scope: set[int] | None
) -> BatchReport:
    """Check (``CHECK``) or import (``IMPORT``) one batch: the same step in one process or in workers."""
    if phase == CHECK:
        _, bad = validate_batch(batch, lookups, scope)
        return BatchReport(rows=len(batch), imported=0, errors=bad, triage_ids=[])
    inline = len(batch) <= INLINE_TRIAGE_ROWS
    result = do_import_batch(batch, actor=actor, lookups=lookups, triage=inline)
    given = zip(result.cases, result.kind_given, strict=True)
    left = [] if inline else [case.pk for case, kind_given in given if kind_given]
    return BatchReport(rows=len(batch), imported=len(result.cases), errors=result.errors, triage_ids=left)


def import_file(
    path: Path,
    *,
    name: str,
    mode: str,
    default_unit: OrgUnit,
    actor: User | None,
    report: ErrorReport,
    outcome: ImportOutcome | None = None,
    on_batch: OnBatch | None = None,
) -> ImportOutcome:
    """Import ``path`` (named ``name``) in batches, counting into ``outcome``.

    A file of ``PARALLEL_MIN_BYTES`` or more on PostgreSQL is written by ``worker_count()``
    processes (``kesu.cases.import_parallel``); the outcome is the same as in one process.
    Raises ``KesuError`` when the file as a whole is refused (type, encoding, empty, no
    description column) or the actor may not register cases.
    """
    check_actor_may_import(actor)
    lookups, scope = Lookups.load(), actor_scope(actor)
    reader = _Reader(path, name, lookups, default_unit)
    outcome = outcome if outcome is not None else ImportOutcome()
    with _batch_runner(reader, path, actor, lookups, scope) as run:
        if mode == ImportJob.Mode.ALL_OR_NOTHING:
            for done in run(CHECK):
                _count(done, outcome, report)
                if on_batch:
                    on_batch(CHECK, outcome)
            outcome.ignored_columns = reader.header.ignored if reader.header else []
            if outcome.errors:
                outcome.rejected = True
                return outcome
            outcome.total = 0
        with bulk_session():
            for done in run(IMPORT):
                _count(done, outcome, report)
                if on_batch:
                    on_batch(IMPORT, outcome)
    outcome.ignored_columns = reader.header.ignored if reader.header else []
    return outcome


def _count(done: BatchReport, outcome: ImportOutcome, report: ErrorReport) -> None:
    report.add(done.errors)
    outcome.total += done.rows
    outcome.imported += done.imported
    outcome.errors += len(done.errors)
    add_ids(outcome.triage_ranges, done.triage_ids)


RunPhase = Callable[[str], Iterator[BatchReport]]


@contextmanager
def _batch_runner(
    reader: _Reader, path: Path, actor: User | None, lookups: Lookups, scope: set[int] | None
) -> Iterator[RunPhase]:
    """``run(phase)`` → the reports of the file's batches, from this process or from workers."""
    workers = worker_count()
    if workers < 2 or path.stat().st_size < PARALLEL_MIN_BYTES:

        def run_here(phase: str) -> Iterator[BatchReport]:
            for batch in reader.batches():
                yield run_batch(phase, batch, actor=actor, lookups=lookups, scope=scope)

        yield run_here
        return
    reader.read_header()  # a refused file starts no worker
    setup = WorkerSetup(
        database_name=connection.settings_dict["NAME"],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        actor_id=actor.pk if actor is not None else None,
        default_unit_code=reader.default_unit.code,
        columns=reader.header.columns if reader.header else {},
    )
    with ParallelRunner(setup, workers) as runner:
        yield lambda phase: runner.run(phase, reader.raw_batches())


def do_run_import(
    job_id: int, *, progress: Progress | None = None, language: str = "", queue_triage: bool = True
) -> ImportJob:
    """Run a pending job once; a job already running or finished is returned unchanged.

    Row messages are written in ``language``, else the uploader's, else the site's. The triage
    of a large import is queued (Celery task ``triage_import``) when the job is recorded as
    finished; with ``queue_triage`` False the caller runs ``do_triage_import`` itself.
    """
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.PENDING).update(
        state=ImportJob.State.RUNNING, heartbeat_at=timezone.now()
    )
    job = ImportJob.objects.select_related("org_unit", "created_by").get(pk=job_id)
    if not claimed:
        return job
    actor = job.created_by
    language = language or (actor.language if actor is not None else "") or settings.LANGUAGE_CODE
    with translation.override(language):
        _run(job, actor, progress, queue_triage)
    return job


def _run(job: ImportJob, actor: User | None, progress: Progress | None, queue_triage: bool = True) -> None:
    """Import the job's file; record how it ended, whatever happens."""
    report, outcome = ErrorReport(), ImportOutcome()
    try:
        with _local_path(job.file, job.original_name) as path:
            try:
                import_file(
                    path,
                    name=job.original_name,
                    mode=job.mode,
                    default_unit=job.org_unit,
                    actor=actor,
                    report=report,
                    outcome=outcome,
                    on_batch=_on_batch(job, progress),
                )
            except KesuError as exc:  # the file was refused (type, encoding, header, a broken line)
                state = ImportJob.State.FAILED if outcome.imported else ImportJob.State.REJECTED
                _finish(job, state, outcome, report, failure=str(exc.message), queue_triage=queue_triage)
                return
        _finish(
            job,
            ImportJob.State.REJECTED if outcome.rejected else ImportJob.State.DONE,
            outcome,
            report,
            queue_triage=queue_triage,
        )
    except BaseException as exc:
        _finish(job, ImportJob.State.FAILED, outcome, report, failure=repr(exc), queue_triage=queue_triage)
        raise
    finally:
        Path(report.file.name).unlink(missing_ok=True)


def _on_batch(job: ImportJob, progress: Progress | None) -> OnBatch:
    """Writes the running counts and a heartbeat on the job now and then (for its page and
    ``do_expire_stale_imports``) and reports progress."""
    saved, shown = [0], {"check": 0, "import": 0}
    beat = [time.monotonic()]

    def on_batch(phase: str, outcome: ImportOutcome) -> None:
        rows = outcome.total
        if abs(rows - saved[0]) >= SAVE_EVERY or time.monotonic() - beat[0] >= HEARTBEAT_SECONDS:
            saved[0], beat[0] = rows, time.monotonic()
            ImportJob.objects.filter(pk=job.pk).update(
                total_rows=rows, imported_rows=outcome.imported, error_rows=outcome.errors,
                heartbeat_at=timezone.now(),
            )
        if progress is not None and rows // PROGRESS_EVERY > shown[phase]:
            shown[phase] = rows // PROGRESS_EVERY
            progress(phase, rows)

    return on_batch


def _finish(
    job: ImportJob,
    state: str,
    outcome: ImportOutcome,
    report: ErrorReport,
    failure: str = "",
    queue_triage: bool = True,
) -> None:
    path = report.close()
    job.state, job.failure, job.finished_at = state, failure, timezone.now()
    job.total_rows, job.imported_rows, job.error_rows = outcome.total, outcome.imported, report.count
    job.errors = report.first
    if report.count:
        with open(path, "rb") as f:
            job.error_report.save(f"import-{job.pk}-errors.csv", File(f), save=False)
    with transaction.atomic():
        job.save(
            update_fields=[
                "state",
                "failure",
                "finished_at",
                "total_rows",
                "imported_rows",
                "error_rows",
                "errors",
                "error_report",
            ]
        )
        audit.record(
            "import.finished",
            actor=job.created_by,
            object_type="import_job",
            object_id=job.pk,
            data={
                "file": job.original_name,
                "mode": job.mode,
                "state": state,
                "org_unit": job.org_unit.code,
                "total_rows": outcome.total,
                "imported_rows": outcome.imported,
                "error_rows": report.count,
                "ignored_columns": outcome.ignored_columns,
                **_pending_triage(outcome),
            },
        )
        if outcome.triage_ranges and queue_triage:
            from kesu.cases.tasks import triage_import

            job_id = job.pk
            transaction.on_commit(lambda: triage_import.delay(job_id))


def do_expire_stale_imports(*, now: datetime | None = None) -> int:
    """Mark failed the running jobs that gave no sign of life for ``STALE_AFTER``; their count.

    A job's process writes a heartbeat at least every ``HEARTBEAT_SECONDS``; a Celery worker
    that was killed, or a server that restarted, leaves its job "running" for ever otherwise.
    The batches written before are kept (each committed on its own) and counted as last saved.
    A job that was only slow and does finish afterwards records its real end over this one.
    Run by Celery beat (``kesu.cases.expire_stale_imports``).
    """
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    stale = ImportJob.objects.filter(state=ImportJob.State.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    expired = 0
    for job in stale.select_related("created_by"):
        language = (job.created_by.language if job.created_by else "") or settings.LANGUAGE_CODE
        with translation.override(language):
            failure = _("The import was interrupted: the process running it stopped. The rows imported "
                        "before are kept; import the rest of the file again.")
        with transaction.atomic():
            if not ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.RUNNING).update(
                state=ImportJob.State.FAILED, failure=failure, finished_at=now
            ):
                continue  # it finished meanwhile
            audit.record(
                "import.interrupted",
                actor=None,
                object_type="import_job",
                object_id=job.pk,
                data={"file": job.original_name, "imported_rows": job.imported_rows,
                      "last_heartbeat": job.heartbeat_at.isoformat() if job.heartbeat_at else None},
            )
        expired += 1
    return expired


def _pending_triage(outcome: ImportOutcome) -> dict[str, Any]:
    """The cases whose triage is left to ``do_triage_import`` (ADR 0010), for the audit record."""
    if not outcome.triage_ranges:
        return {}
    return {"triage": TRIAGE_PENDING, "triage_ranges": outcome.triage_ranges}


def _finished_event(job_id: int) -> AuditEvent | None:
    return AuditEvent.objects.filter(
        type="import.finished", object_type="import_job", object_id=str(job_id)
    ).first()


def ignored_columns(job: ImportJob) -> list[str]:
    """The columns of the job's file that were not understood, from its audit record."""
    event = _finished_event(job.pk)
    return [str(c) for c in event.data.get("ignored_columns", [])] if event else []


# --- triage after the import (ADR 0010) -------------------------------------------------------

TRIAGE_PENDING = "pending"
TRIAGE_DONE = "done"


def triage_state(job: ImportJob) -> str:
    """ "" (the import triaged its cases itself, or imported none), "pending" or "done"."""
    event = _finished_event(job.pk)
    if event is None or event.data.get("triage") != TRIAGE_PENDING:
        return ""
    done = AuditEvent.objects.filter(
        type="import.triaged", object_type="import_job", object_id=str(job.pk)
    ).exists()
    return TRIAGE_DONE if done else TRIAGE_PENDING


def triage_state_label(state: str) -> str:
    """The job page's and ``kesu import``'s wording of ``triage_state``."""
    if state == TRIAGE_PENDING:
        return _("Triage suggestions: pending (added in the background)")
    if state == TRIAGE_DONE:
        return _("Triage suggestions: done")
    return ""


def do_triage_import(job_id: int, *, progress: Progress | None = None) -> BackfillResult | None:
    """Add the triage suggestions an import left out (Celery task ``triage_import``).

    None when there is nothing to do (the job triaged inline, or this ran already). Safe to
    run twice: cases with suggestions are skipped, and the end is recorded once in the audit
    log (``import.triaged``), which is what makes ``triage_state`` say "done".
    """
    event = _finished_event(job_id)
    if event is None or event.data.get("triage") != TRIAGE_PENDING:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if triage_state(job) == TRIAGE_DONE:
        return None
    ranges: IdRanges = event.data.get("triage_ranges", [])

    def on_batch(result: BackfillResult) -> None:
        if progress is not None:
            progress("triage", result.triaged)

    result = do_triage_imported(ranges, on_batch=on_batch)
    audit.record(
        "import.triaged",
        actor=job.created_by,
        object_type="import_job",
        object_id=job_id,
        data={"cases": count_ids(ranges), "triaged": result.triaged, "reclassified": result.reclassified},
    )
    return result


@contextmanager
def _local_path(stored: FieldFile, name: str) -> Iterator[Path]:
    """A path on this machine for the stored file (a temporary copy when storage is remote)."""
    try:
        yield Path(stored.path)
        return
    except NotImplementedError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / Path(name).name
        with stored.open("rb") as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst)
        yield local
