"""Work spread over worker processes: plain data in, plain data out (no ORM, no database).

The workers are forked, so they start at once with the caller's modules and registered fonts;
each one resets the signal handlers a server installs (a worker must stop quietly when the pool
ends it). With one job, one CPU, or inside a worker already, the jobs run here, in order.

A print run keeps its workers for everything it draws: while ``shared(pool)`` is active in a
thread, ``parallel_map`` there hands its jobs to that pool instead of starting another one.
"""

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading

#: Upper bound of worker processes, whatever the machine has.
MAX_PROCESSES = 8

_local = threading.local()
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


def processes_for(job_count, processes=None):
    """How many worker processes ``job_count`` jobs get (0: run them here)."""
    wanted = min(processes or cpu_count(), MAX_PROCESSES, job_count)
    if (
        wanted < 2
        or multiprocessing.current_process().daemon  # a pool worker cannot have children
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return 0
    return wanted


def start(processes):
    """A pool of ``processes`` forked workers (see ``processes_for``); the caller closes it."""
    return multiprocessing.get_context("fork").Pool(processes, initializer=init_worker)


@contextlib.contextmanager
def shared(pool):
    """Within this block, ``parallel_map`` in this thread uses ``pool``."""
    previous = getattr(_local, "pool", None)
    _local.pool = pool
    try:
        yield pool
    finally:
        _local.pool = previous


def parallel_map(func, jobs, processes=None):
    """Yield ``func(job)`` for each of ``jobs``, in order, computed by worker processes.

    ``func`` must be a module-level function; jobs and results are pickled. Results come as
    soon as they are ready (the caller can use the first while the next ones are computed).
    An exception in a job stops the others and is raised here.
    """
    jobs = list(jobs)
    current = getattr(_local, "pool", None)
    if current is not None and len(jobs) > 1 and processes != 1:
        yield from current.imap(func, jobs)
        return
    count = processes_for(len(jobs), processes)
    if not count:
        for job in jobs:
            yield func(job)
        return
    pool = start(count)
    try:
        yield from pool.imap(func, jobs)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
