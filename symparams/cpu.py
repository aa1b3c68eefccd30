"""Bounds on CPU time: a stated limit on a piece of work, ended with a clear SymparamsError.

The clock is this process's CPU time (ITIMER_PROF), so a loaded machine does not trip it. Limits
nest: a command's whole run (limits.CPU_SECONDS) holds a solve's shorter one, and the timer is
always set for the nearest deadline. The alarm repeats every half second until it reaches the frame
that set it, in case library code catches and retries; and when the alarm's exception is lost anyway (raised
inside a garbage-collector callback or a __del__, where Python only prints it), the frame still reports the
limit when the work returns. Where there are no interval timers (Windows,
Pyodide) or off the main thread, the work runs unbounded (the playground's page bounds its worker
itself, web/src/app.js).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time

from .errors import SymparamsError

_deadlines: list[list] = []      # [deadline in process_time seconds, token, alarm fired] of the limits now running


class OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` inside SymPy swallows it."""

    def __init__(self, token):
        super().__init__()
        self.token = token


def _on_alarm(_signum, _frame):
    if not _deadlines:
        return
    now = time.process_time()
    expired = [entry for entry in _deadlines if entry[0] <= now + 0.01]
    if expired:
        # the outermost limit past its deadline: its frame reports it (an inner one expiring at
        # the same time is then unwound by the same exception)
        for entry in expired:
            entry[2] = True
        raise OutOfTime(expired[0][1])
    _arm()


def _arm() -> None:
    if not _deadlines:
        signal.setitimer(signal.ITIMER_PROF, 0)
        return
    left = min(entry[0] for entry in _deadlines) - time.process_time()
    signal.setitimer(signal.ITIMER_PROF, max(left, 0.001), 0.5)


def available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def cpu_limit(seconds: float | None, what: str, hint: str = "", how: str = ""):
    """Stop `what` after `seconds` of CPU time (None or <= 0: no limit) with a SymparamsError saying
    so, the hint, and `how` to change the limit."""
    if not seconds or seconds <= 0 or not available():
        yield
        return
    token = object()
    entry = [time.process_time() + seconds, token, False]
    try:
        if not _deadlines:
            previous = signal.signal(signal.SIGPROF, _on_alarm)
        else:
            previous = None
        _deadlines.append(entry)
        _arm()
    except (OSError, ValueError, AttributeError):      # a platform without interval timers
        yield
        return
    try:
        try:
            yield
            if entry[2]:      # the alarm fired for this limit, but its exception was swallowed on the way
                raise OutOfTime(token)
        finally:
            _deadlines.remove(entry)
            _arm()
            if not _deadlines and previous is not None:
                signal.signal(signal.SIGPROF, previous)
    except OutOfTime as exc:
        if exc.token is not token:
            raise
        raise SymparamsError(f"{what} took more than {seconds:g} s of CPU time, the limit"
                             + (f": {hint}" if hint else "") + (f" ({how})" if how else "")) from None


def active() -> bool:
    """Whether a limit is running (a command's): the API's own default then does not stack on it."""
    return bool(_deadlines)


def bounded(what: str):
    """A Python API function under limits.API_CPU_SECONDS (read at each call, so a caller may raise it,
    or set it to None for no limit), unless a command's limit already runs."""
    import functools

    def wrap(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            from . import limits
            if active():
                return fn(*args, **kwargs)
            with cpu_limit(limits.API_CPU_SECONDS, what, "",
                           "raise symparams.limits.API_CPU_SECONDS, or set it to None"):
                return fn(*args, **kwargs)
        return call
    return wrap
