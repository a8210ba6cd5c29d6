"""A stand-in import worker for test_import_parallel: the coordinator's protocol, no database.

``python stand_in_import_worker.py MODE IN OUT``. Each batch is answered with
``(phase, seq, lines, pid)``; MODE ``slow-even`` answers even batches late (so reports arrive
out of order), ``fail`` reports a failure for batch 2, ``die`` ends the process at batch 2.
"""

from __future__ import annotations

import os
import sys
import time
from multiprocessing.connection import Connection


def main(mode: str, inbox_fd: str, outbox_fd: str) -> None:
    inbox = Connection(int(inbox_fd), writable=False)
    outbox = Connection(int(outbox_fd), readable=False)
    inbox.recv()  # the WorkerSetup
    while (message := inbox.recv())[0] != "stop":
        _, seq, phase, batch = message
        if seq == 2 and mode == "die":
            os._exit(3)
        if seq == 2 and mode == "fail":
            outbox.send(("failed", seq, "Traceback (most recent call last):\nRuntimeError: disk on fire"))
            return
        if mode == "slow-even" and seq % 2 == 0:
            time.sleep(0.2)
        outbox.send(("done", seq, (phase, seq, [line for line, _cells in batch], os.getpid())))


if __name__ == "__main__":
    main(*sys.argv[1:])
