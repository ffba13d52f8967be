"""Is a JACK server running, and does it go away? Asked through libjack with ctypes.

rtmidi does not report a JACK server that dies: its ports just fall silent. So the daemon
opens one more, port-less JACK client whose only job is to receive JACK's shutdown
notice. No libjack (macOS or Windows without JACK) simply means "no JACK server".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

JACK_NO_START_SERVER = 0x01

_ERROR_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
_SHUTDOWN_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_quiet = _ERROR_CALLBACK(lambda message: None)  # libjack prints to stderr otherwise


def _libjack() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("jack")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.jack_client_open.restype = ctypes.c_void_p
    lib.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.jack_client_close.argtypes = [ctypes.c_void_p]
    lib.jack_activate.argtypes = [ctypes.c_void_p]
    lib.jack_on_shutdown.argtypes = [ctypes.c_void_p, _SHUTDOWN_CALLBACK, ctypes.c_void_p]
    lib.jack_port_by_name.restype = ctypes.c_void_p
    lib.jack_port_by_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.jack_port_connected.argtypes = [ctypes.c_void_p]
    lib.jack_set_error_function(_quiet)
    lib.jack_set_info_function(_quiet)
    return lib


_lib = _libjack()


def _open(name: str) -> ctypes.c_void_p | None:
    if _lib is None:
        return None
    status = ctypes.c_int(0)
    client = _lib.jack_client_open(name.encode(), JACK_NO_START_SERVER, ctypes.byref(status))
    return client or None


def server_running() -> bool:
    """True when a JACK server (JACK_DEFAULT_SERVER, else the default) answers."""
    client = _open("humanizer-probe")
    if client is None:
        return False
    _lib.jack_client_close(client)
    return True


class ServerWatch:
    """Sets `gone` when the JACK server shuts down or dies."""

    def __init__(self, name: str = "humanizer-watch"):
        self.gone = threading.Event()
        self._callback = _SHUTDOWN_CALLBACK(lambda argument: self.gone.set())
        self._client = _open(name)
        if self._client is None:
            self.gone.set()
            return
        _lib.jack_on_shutdown(self._client, self._callback, None)
        _lib.jack_activate(self._client)

    def connections(self, port: str) -> int | None:
        """How many ports are connected to `port` (client:port), None when unknown."""
        if self._client is None or self.gone.is_set():
            return None
        handle = _lib.jack_port_by_name(self._client, port.encode())
        return None if not handle else int(_lib.jack_port_connected(handle))

    def close(self) -> None:
        """Leave the server (skipped when it is gone: closing a dead client can block)."""
        if self._client is not None and not self.gone.is_set():
            _lib.jack_client_close(self._client)
        self._client = None
