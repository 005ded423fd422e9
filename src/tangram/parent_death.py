"""Helper programs (an embedded Redis) that die with tangram, even after a ``kill -9``.

Linux's ``PR_SET_PDEATHSIG`` must be set by the child itself, between fork and exec.
``preexec_fn`` could do that, but it is unsafe once the parent has threads (tangram has
several), so the child is started through this module instead: a fresh interpreter
sets the signal, checks that the parent is still there, and replaces itself with the
real program (the setting survives ``exec``)::

    python -m tangram.parent_death <parent pid> <program> [args...]

Elsewhere (macOS...) the program is started directly.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ["guarded_command"]

_PR_SET_PDEATHSIG = 1


def guarded_command(argv: list[str]) -> list[str]:
    """``argv`` wrapped so that the program gets SIGTERM when this process dies."""
    if not sys.platform.startswith("linux"):
        return argv
    return [sys.executable, "-m", __name__, str(os.getpid()), *argv]


def main(args: list[str]) -> None:  # pragma: no cover - runs in the child
    parent, argv = int(args[0]), args[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        sys.exit(f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(ctypes.get_errno())}")
    if os.getppid() != parent:  # the parent died before the signal was armed
        sys.exit(1)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
