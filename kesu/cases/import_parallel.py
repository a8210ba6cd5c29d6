"""Import batches written by several processes at once (ADR 0012).

One process maps, checks and turns a batch into COPY data (Python, one core) and then waits
while PostgreSQL stores it (another process): an import in one process uses about one core.
For a large file on PostgreSQL the job's own process becomes a coordinator: it only reads the
file and hands each batch of raw cells to the next free worker process, which maps, checks
and writes it with ``kesu.cases.actions_import.run_batch`` in its own transaction on its own
connection, exactly as the serial import does. Reports come back and are counted in file
order, so the job's counts, error report and triage ranges are those of a serial run; the case
numbers follow the file within a batch (each batch reserves its numbers when it is written),
not across batches, which IN-3 does not ask for (unique per-month serials, gaps allowed).

Workers are plain subprocesses (``python -m kesu.cases.import_parallel IN OUT``) that speak
``multiprocessing.connection`` over two pipes: a Celery prefork child is a daemonic process
and may not start ``multiprocessing`` children. SQLite gets no workers: it has one writer at
a time, so a second process would only wait for the first.

A worker that fails (an exception, or its process ends) stops the import: the batches still
in flight are waited for and counted, then the failure is raised, as a serial import raises
on the batch that failed.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from django.conf import settings
from django.db import connection

#: Raw batches a worker holds (one being written, the next already received).
DEPTH = 2
#: Batches handed out beyond the first one not yet reported, per worker: reports are counted in
#: file order, so a slow worker must not let the others run far ahead (memory, and how much is
#: written after a failure).
AHEAD_PER_WORKER = 4
#: Seconds a worker gets to finish after it was told to stop, before it is killed.
STOP_TIMEOUT = 30

RawBatch = Sequence[tuple[int, Sequence[object]]]  # (line, cells) rows as the file reader yields them


def worker_count() -> int:
    """Processes an import may write with: ``KESU_IMPORT_WORKERS``, else one per CPU (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return 1
    configured = getattr(settings, "IMPORT_WORKERS", 0)
    return max(1, configured or os.cpu_count() or 1)


class ImportWorkerError(RuntimeError):
    """A worker process failed; the message carries its traceback (kept on the failed job).

    ``reported``: the worker said why (its traceback), rather than just ending; that reason is
    the one raised when a worker both reports a failure and then cannot take the next batch.
    """

    def __init__(self, message: str, *, reported: bool = False) -> None:
        super().__init__(message)
        self.reported = reported


def _first_reason(known: BaseException | None, new: BaseException) -> BaseException:
    """The failure to raise: the first one, unless a worker's own report comes after an ending."""
    if known is None:
        return new
    if isinstance(known, ImportWorkerError) and not known.reported and getattr(new, "reported", False):
        return new
    return known


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to map and write the job's rows, sent once when it starts."""

    database_name: str
    language: str
    actor_id: int | None
    default_unit_code: str
    columns: dict[str, int]


class _Worker:
    """One worker process and its two pipe ends."""

    def __init__(self, command: Sequence[str], setup: WorkerSetup) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [*command, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                            "kesu.settings")},
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.outbox = Connection(to_child_w, readable=False)
        self.inbox = Connection(from_child_r, writable=False)
        self.in_flight: list[int] = []
        self.alive = True  # its pipe may still hold reports
        self.accepting = True  # it may be handed batches
        self.outbox.send(setup)

    def send(self, seq: int, phase: str, batch: RawBatch) -> None:
        self.outbox.send(("batch", seq, phase, batch))
        self.in_flight.append(seq)

    def stop(self) -> None:
        """Ask the worker to end after its batches; kill it if it does not within STOP_TIMEOUT."""
        if self.alive:
            try:
                self.outbox.send(("stop",))
            except OSError:
                pass
        for end in (self.outbox, self.inbox):
            end.close()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.alive = False


class ParallelRunner:
    """Runs ``run_batch`` for raw batches in ``workers`` processes; a context manager.

    ``command`` starts one worker (tests pass a stand-in); by default this module under the
    running interpreter.
    """

    def __init__(self, setup: WorkerSetup, workers: int, command: Sequence[str] | None = None) -> None:
        self.setup = setup
        self.command = list(command or [sys.executable, "-m", "kesu.cases.import_parallel"])
        self.size = workers
        self.workers: list[_Worker] = []

    def __enter__(self) -> ParallelRunner:
        try:
            self.workers = [_Worker(self.command, self.setup) for _ in range(self.size)]
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()

    def run(self, phase: str, batches: Iterable[RawBatch]) -> Iterator[Any]:
        """The reports of ``run_batch(phase, …)`` for ``batches``, in file order.

        On a failure (a worker's, or the reader's) no further batch is handed out; the batches
        in flight are waited for and their reports yielded, then the failure is raised.
        """
        source = iter(batches)
        reports: dict[int, Any] = {}
        next_out = next_seq = 0
        failure: BaseException | None = None
        exhausted = False
        while True:
            while (
                failure is None
                and not exhausted
                and next_seq - next_out < AHEAD_PER_WORKER * self.size
                and (worker := self._free()) is not None
            ):
                try:
                    batch = next(source, None)
                except BaseException as exc:  # noqa: BLE001 - the reader's error, raised below
                    failure = exc
                    break
                if batch is None:
                    exhausted = True
                    break
                try:
                    worker.send(next_seq, phase, batch)
                except OSError as exc:  # it ended: its reports are read below, then its failure
                    worker.accepting = False
                    failure = _first_reason(failure, self._ended(worker, exc))
                    break
                next_seq += 1
            busy = [w for w in self.workers if w.alive and w.in_flight]
            if not busy:
                break
            inboxes = {id(w.inbox): w for w in busy}
            for ready in wait([w.inbox for w in busy]):
                worker = inboxes[id(ready)]
                try:
                    message = worker.inbox.recv()
                except (EOFError, OSError) as exc:
                    worker.alive = worker.accepting = False
                    worker.in_flight.clear()
                    failure = _first_reason(failure, self._ended(worker, exc))
                    continue
                seq = worker.in_flight.pop(0)
                if message[0] == "done":
                    reports[seq] = message[2]
                else:
                    worker.accepting = False
                    failure = _first_reason(failure, ImportWorkerError(message[2], reported=True))
            while next_out in reports:
                yield reports.pop(next_out)
                next_out += 1
            if failure is not None and not any(w.alive and w.in_flight for w in self.workers):
                break
        # After a failure, the batches that were written all the same, in order, then the failure.
        for seq in sorted(reports):
            yield reports.pop(seq)
        if failure is not None:
            raise failure

    def _free(self) -> _Worker | None:
        """The accepting worker with the fewest batches, if it can take one more."""
        live = [w for w in self.workers if w.accepting]
        if not live:
            return None
        worker = min(live, key=lambda w: len(w.in_flight))
        return worker if len(worker.in_flight) < DEPTH else None

    def _ended(self, worker: _Worker, exc: BaseException) -> ImportWorkerError:
        try:  # its end of the pipe is closed: it has ended or is ending
            code = worker.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        return ImportWorkerError(f"import worker {worker.process.pid} ended (exit code {code}): {exc!r}")


# --- the worker process -------------------------------------------------------------------------


def _receive(inbox: Connection, into: queue.Queue[Any]) -> None:
    """Take each message off the pipe at once, so that the coordinator never waits to send."""
    try:
        while True:
            message = inbox.recv()
            into.put(message)
            if message[0] == "stop":
                return
    except (EOFError, OSError):
        into.put(("stop",))


def serve(inbox: Connection, outbox: Connection) -> None:
    """The worker's loop: set up from the first message, then run batches until told to stop."""
    import django

    setup: WorkerSetup = inbox.recv()
    settings.DATABASES["default"]["NAME"] = setup.database_name
    django.setup()
    from django.utils import translation

    from kesu.cases.actions_import import run_batch
    from kesu.cases.bulk import Lookups, actor_scope
    from kesu.cases.importer import ColumnMap, RowMapper
    from kesu.org.models import User

    translation.activate(setup.language)
    actor = User.objects.select_related("org_unit").get(pk=setup.actor_id) if setup.actor_id else None
    lookups = Lookups.load()
    scope = actor_scope(actor)
    mapper = RowMapper(ColumnMap(columns=setup.columns, ignored=[]), lookups, setup.default_unit_code)
    messages: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_receive, args=(inbox, messages), name="import-inbox", daemon=True).start()
    while (message := messages.get())[0] != "stop":
        _, seq, phase, raw = message
        try:
            rows = [row for line, cells in raw if (row := mapper.map(line, cells)) is not None]
            report = run_batch(phase, rows, actor=actor, lookups=lookups, scope=scope)
        except BaseException:  # noqa: BLE001 - reported to the coordinator, which fails the job
            outbox.send(("failed", seq, traceback.format_exc()))
            return
        outbox.send(("done", seq, report))


def main(argv: list[str]) -> None:
    inbox = Connection(int(argv[0]), writable=False)
    outbox = Connection(int(argv[1]), readable=False)
    try:
        serve(inbox, outbox)
    finally:
        outbox.close()
        inbox.close()


if __name__ == "__main__":
    main(sys.argv[1:])
