"""Children that end with their parent: a worker, a JACK server, a daemon a command started.

A process killed by a signal runs no cleanup, and its children live on: a bench stopped by
`timeout` left its private JACK server running for 85 minutes, and a killed `eval` or
folder run left its worker processes computing for nobody. On Linux a child can ask the
kernel to end it when its parent ends, however that ends.
"""

from __future__ import annotations

import signal
import sys


def die_with_parent() -> None:
    """In a child (just before it runs, or first thing in a worker): end it with SIGTERM
    when the process that started it ends. Elsewhere than on Linux it does nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
