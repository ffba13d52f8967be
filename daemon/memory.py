"""How much memory a process holds, as the daemon's figures count it (Linux /proc), and
the allocator setting that keeps the daemon's from creeping up."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from pathlib import Path

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
# blocks this large or larger are always mapped for themselves and given back when freed
MMAP_THRESHOLD = 256 * 1024


def steady_allocator() -> bool:
    """Fix glibc's mmap threshold (Linux; elsewhere nothing happens, False). glibc raises
    it to the size of every mapped block freed, so after the first big window a daemon's
    mid-size arrays (a window's features, a burst's pairs) came from the heap, which then
    held them: in the 16-channel soak with faults its RSS crept from 136 to 155-206 MB
    with the windows encoded together. Fixed, it stays at 113-124 MB (as
    MALLOC_MMAP_THRESHOLD_ would, for a process started with it)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False


def memory_mb(pid: int) -> dict:
    """A process's resident memory from /proc (Linux; empty elsewhere), in MB.

    VmRSS counts the JACK server's shared memory segment (the server's port buffers,
    ~105 MB on a dummy server) once per libjack copy that maps it - rtmidi's bundled
    libjack and the system one the daemon's server watch uses - although those pages
    belong to the server and cost the daemon nothing. So the daemon's own figure is
    RssAnon + RssFile (its heap and its libraries), and the rest is reported beside it.
    """
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                fields[key] = int(value.split()[0]) / 1024
    except OSError:
        return {}
    if len(fields) < 4:
        return {}
    return {"rss_mb": round(fields["RssAnon"] + fields["RssFile"], 1),
            "rss_anon_mb": round(fields["RssAnon"], 1),
            "vmrss_mb": round(fields["VmRSS"], 1),
            "jack_shared_memory_mb": round(fields["RssShmem"], 1)}
