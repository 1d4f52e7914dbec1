"""Helper processes that end with the run they serve, however the run ends.

A run starts processes of its own: the pipeline's worker processes (through a
multiprocessing forkserver) and, when no Prefect server is configured,
Prefect's temporary API server. A run that ends normally stops them; one that is
SIGKILLed (the OOM killer, a hard cancel from the Prefect UI) cannot, and they
used to live on as orphans (~500 MB). So each of them watches the run's process
and ends when it does: `exit_with` waits on a pidfd (Linux 5.3+), which, unlike
PR_SET_PDEATHSIG, follows the process and not the thread that started the
child, and is not fooled by the forkserver standing between the run and its
workers.

This module imports nothing heavy: the worker processes import it, and the
temporary server starts through it (`python -m flows.lifeline PID uvicorn ...`,
see flows/temporary_server.py).
"""

from __future__ import annotations

import os
import runpy
import select
import signal
import sys
import threading
import time

GRACE_SECONDS = 5.0  # after SIGTERM, before the process ends itself for good


def exit_with(pid: int, grace: float = GRACE_SECONDS) -> None:
    """End this process when process `pid` ends: SIGTERM to itself (a server shuts down cleanly), then,
    `grace` seconds later, an immediate exit. Returns at once; a daemon thread waits."""
    threading.Thread(target=_watch, args=(pid, grace), name=f"exit-with-{pid}", daemon=True).start()


def _watch(pid: int, grace: float) -> None:
    try:
        with _pidfd(pid) as fd:
            select.select([fd], [], [])  # readable once `pid` has ended
    except ProcessLookupError:  # ended before we looked
        pass
    except OSError:  # no pidfd (not Linux, or a kernel before 5.3): ask once a second
        while _alive(pid):
            time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(grace)
    os._exit(1)


class _pidfd:
    def __init__(self, pid: int) -> None:
        self.fd = os.pidfd_open(pid)

    def __enter__(self) -> int:
        return self.fd

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now has the number: ours is gone
        return False
    return True


def main() -> None:
    """`python -m flows.lifeline PID MODULE ARGS...`: run MODULE as `python -m MODULE ARGS...` would,
    ending when process PID ends."""
    pid, module, *args = sys.argv[1:]
    exit_with(int(pid))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
