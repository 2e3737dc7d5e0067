"""``flush_on_sigterm``: flush the writer when SIGTERM comes, then do what it did before.

Python's default SIGTERM action ends the process at once, without atexit: the calls of
the last ``flush_interval`` are lost, as with SIGKILL. With the option on, llmlog's
handler flushes (bounded by ``exit_timeout``, spooling what the store does not take),
then hands the signal on: to the handler that was there before (the host's own), or,
when that was the default action, to the default action again, so the process still
ends "killed by SIGTERM" as its supervisor expects. An ignored SIGTERM stays ignored.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

log = logging.getLogger("llmlog")

_lock = threading.Lock()
_previous: Any = None  # the handler ours replaced
_installed = False
_warned = False


def install() -> None:
    """Put llmlog's handler in place (once per process, from the main thread only: a
    signal handler can be set nowhere else; elsewhere it warns once). Never raises."""
    global _installed, _previous, _warned
    with _lock:
        if _installed:
            return
        try:
            previous = signal.getsignal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread
            if not _warned:
                _warned = True
                log.warning(
                    "llmlog: flush_on_sigterm needs the main thread; call "
                    "llmlog.configure(flush_on_sigterm=True) there"
                )
            return
        _previous, _installed = previous, True


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    from llmlog.capture import writer

    found = writer.current()
    if found is not None:
        try:
            found.at_exit()
        except Exception:
            log.exception("llmlog: flushing on SIGTERM failed")
    previous = _previous
    if callable(previous):
        previous(signum, frame)
    elif previous != signal.SIG_IGN:  # the default action (or one set outside Python)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
