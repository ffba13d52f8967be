"""Who may control a daemon: the user who started it, proven by a token only they can read.

A loopback TCP port is open to every user of the machine, so without this anyone logged
in could set the strength, swap styles or panic another user's daemon. At start the
daemon makes a random token and writes it to a file of its user's (mode 0600, in a 0700
folder), named after the control port; its control and events sockets then accept only
ZeroMQ PLAIN clients that give username "humanizer" and the token as the password.
`humanizer ctl` and humanizer.daemon.client read the file and do so. The check is in
ZeroMQ's handshake: a client without the token is refused before any request of its is
read, so another user can send the daemon nothing at all - no command, and no huge
request to fill its memory. It works alike on Linux, macOS and Windows (where the user's
profile folder is private) and for tcp:// and ipc:// addresses. With --curve-keys, CURVE
does this job instead and no token is made.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from humanizer.errors import HumanizerError

USER = "humanizer"  # the PLAIN username; the token is the password
FOLDER_VARIABLE = "HUMANIZER_CONTROL_DIR"


def folder(env: Mapping[str, str] = os.environ) -> Path:
    """Where the tokens are: $HUMANIZER_CONTROL_DIR, else control/ in the user's humanizer
    config folder (~/.config/humanizer/control) - one place on every system, so a daemon
    started from a service and a ctl typed in a terminal find the same file."""
    if env.get(FOLDER_VARIABLE):
        return Path(env[FOLDER_VARIABLE])
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "humanizer" / "control"


def token_file(address: str, env: Mapping[str, str] = os.environ) -> Path:
    """The token file of the daemon at `address`: named after the port on loopback TCP
    (so tcp://localhost:5555 and tcp://127.0.0.1:5555 are one daemon), after the path
    for ipc://."""
    match = re.fullmatch(r"tcp://.+:(\d+)", address)
    name = f"tcp-{match.group(1)}" if match else re.sub(r"[^A-Za-z0-9.]+", "-", address)
    return folder(env) / f"{name.strip('-')[-120:]}.token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write(address: str, token: str) -> Path:
    """Write the token where this user's clients look, readable by this user only."""
    path = token_file(address)
    try:
        write_private(path, token)
    except OSError as error:
        raise HumanizerError(f"cannot write the control token {path}: {error.strerror} "
                             f"(set {FOLDER_VARIABLE} to a folder of yours)") from None
    return path


def write_private(path: Path, text: str) -> None:
    """A secret file only this user may read, in a folder only theirs (a new file moved
    into place: a reader never sees half of one, nor a moment of a looser mode)."""
    _private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.replace(temporary, path)


def is_private(path: Path) -> bool:
    """Whether a file is this user's and no one else may read it."""
    if os.name != "posix":
        return True
    status = path.stat()
    return status.st_uid == os.geteuid() and not status.st_mode & 0o077


def _private_folder(path: Path) -> None:
    """Make the folder, only this user's; refuse one that belongs to someone else (who
    could read or replace the token in it)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "posix":
        return  # Windows: the user's profile folder is private already
    if path.stat().st_uid != os.geteuid():
        raise HumanizerError(f"{path} belongs to another user: the control token cannot "
                             f"be kept there (set {FOLDER_VARIABLE} to a folder of yours)")
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)


def read(address: str, env: Mapping[str, str] = os.environ) -> str:
    """The token this user has for the daemon at `address`; "" when there is none (the
    daemon will refuse, and ctl says whose daemon it must be)."""
    path = token_file(address, env)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""
    except OSError as error:
        raise HumanizerError(f"not your daemon: cannot read its control token {path} "
                             f"({error.strerror})") from None


def password(address: str, env: Mapping[str, str] = os.environ) -> bytes:
    """The PLAIN password to give the daemon at `address`: its token, or without one a
    stand-in (libzmq takes no empty password) that it refuses."""
    return (read(address, env) or "-").encode()


def remove(path: Path, token: str) -> None:
    """Remove the token file at exit, if it is still this daemon's."""
    try:
        if path.read_text().strip() == token:
            path.unlink()
    except OSError:
        pass


def refusal(address: str) -> str:
    """What ctl says when the daemon refused this user's token."""
    path = token_file(address)
    held = "does not match" if os.path.exists(path) else "is missing"
    return (f"not your daemon: {address} refused this user (the control token {path} "
            f"{held}): is the daemon another user's?")
