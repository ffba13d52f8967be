"""How much memory a process holds, as the daemon's figures count it (Linux /proc)."""

from __future__ import annotations

from pathlib import Path


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
