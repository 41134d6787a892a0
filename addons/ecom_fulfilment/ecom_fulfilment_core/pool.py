"""Worker processes for drawing and merging PDFs: plain data in, plain data out (no ORM, no
database).

The workers are forked, so they start at once with the caller's modules and registered fonts;
each one resets the signal handlers a server installs (a worker must stop quietly when the pool
ends it) and yields the CPU to the process that started them: that one does the database work
the others wait for. One CPU stays for it (and the database): a 2-core machine gets one worker.
"""

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys

#: Upper bound of worker processes, whatever the machine has.
MAX_PROCESSES = 8
#: Workers yield the CPU to the process that started them.
WORKER_NICENESS = 5
PR_SET_PDEATHSIG = 1


def cpu_count():
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _die_with_parent():
    """Linux: this worker gets SIGTERM when the thread that started it ends (e.g. a server
    process killed in the middle of a print run), so that no worker is left waiting."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def init_worker():
    """Run first in a forked worker: the signal handlers of a worker, not of a server."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)  # a server's wake-up pipe belongs to the server
    if sys.platform.startswith("linux"):
        _die_with_parent()
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def processes_for(processes=None):
    """How many worker processes to start: ``processes``, or one less than the CPUs (0: do
    the work here; always so inside a worker, which cannot have children)."""
    wanted = min(cpu_count() - 1 if processes is None else processes, MAX_PROCESSES)
    if (
        wanted < 1
        or multiprocessing.current_process().daemon
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return 0
    return wanted


def start(processes):
    """A pool of ``processes`` forked workers; the caller closes it."""
    return multiprocessing.get_context("fork").Pool(processes, initializer=init_worker)
