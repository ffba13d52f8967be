"""Settings, the control server and client, and the serve/ctl command lines."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import serving

from humanizer import values
from humanizer.cli import parse
from humanizer.commands.ctl import request_of
from humanizer.daemon.client import secure
from humanizer.daemon.control import (
    MAX_MESSAGE,
    ControlServer,
    RequestError,
    events_address,
    is_loopback,
    parse_request,
)
from humanizer.daemon.settings import Settings
from humanizer.errors import HumanizerError


@pytest.fixture(autouse=True)
def tokens(tmp_path, monkeypatch):
    """Control tokens in a folder of the test's own, never the user's real one."""
    monkeypatch.setenv("HUMANIZER_CONTROL_DIR", str(tmp_path / "tokens"))


def test_settings_validate_values():
    settings = Settings()
    assert settings.changed("strength", 0.25).strength == 0.25
    assert settings.changed("latency", "250ms").latency == 0.25
    assert settings.changed("velocity_min", 20.0).velocity_min == 20
    assert settings.changed("feel", "-8ms").feel == -0.008
    assert settings.changed("bypass", "on").bypass is True
    assert settings.changed("seed", "7").seed == 7
    assert settings.changed("variation", 1).variation == 1
    assert settings.changed("meter", "6/8").meter == ((1, 6, 8),)
    assert settings.changed("meter", "6/8").as_dict()["meter"] == "6/8"
    changing = settings.changed("meter", " 4/4, 3/4@17 6/8@33")
    assert changing.meter == ((1, 4, 4), (17, 3, 4), (33, 6, 8))
    assert changing.as_dict()["meter"] == "4/4 3/4@17 6/8@33"
    assert settings.changed("bpm", 96).bpm == 96 and settings.changed("bpm", "off").bpm == 0
    assert settings.changed("clock_thru", "off").clock_thru is False
    skipping = settings.changed("skip_channels", "4, 10")
    assert skipping.skip_channels == {3, 9} and skipping.as_dict()["skip_channels"] == [4, 10]
    assert settings.changed("skip_channels", [5]).changed("skip_channels", "none"
                                                          ).skip_channels == frozenset()
    for key, value in [("strength", 2), ("strength", "x"), ("strength", True),
                       ("latency", 0.5), ("latency", "-1ms"), ("latency", "10s"),
                       ("velocity_min", 0), ("velocity_max", 1.5), ("bypass", 3),
                       ("seed", -1), ("seed", 2.5), ("colour", 1),
                       ("strength", float("nan")),
                       ("latency", "１００ms"), ("feel", "60ms"), ("strength", 10**400),
                       ("meter", "4"), ("meter", "3/5"), ("meter", "0/4"), ("meter", 4),
                       ("meter", "3/4@2"), ("meter", "4/4 3/4"), ("meter", "4/4 3/4@9 6/8@9"),
                       ("meter", ""),
                       ("bpm", 5), ("bpm", "fast"), ("clock_thru", "maybe"),
                       ("skip_channels", "17"), ("skip_channels", 2.5)]:
        with pytest.raises(HumanizerError):
            settings.changed(key, value)
    with pytest.raises(HumanizerError):
        settings.changed("velocity_min", 100).changed("velocity_max", 50)


@pytest.mark.parametrize("frames", [
    [b"\xff\xfe\x00garbage"], [b"[" * 50000 + b"]" * 50000], [b"[1, 2]"], [b'{"cmd": 5}'],
    [b"{}"], [b'{"cmd": "status"}', b"more"], [b"x" * (65 * 1024)], [b"nan"], [b""]])
def test_bad_requests_raise_request_errors(frames):
    with pytest.raises(RequestError):
        parse_request(frames)


def test_addresses():
    for address in ("tcp://127.0.0.1:5555", "tcp://localhost:1", "tcp://[::1]:9", "ipc:///tmp/h"):
        assert is_loopback(address)
    for address in ("tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://192.168.1.2:5555",
                    "tcp://127.0.0.1.evil.com:5"):
        assert not is_loopback(address)
    assert events_address("tcp://127.0.0.1:5555") == "tcp://127.0.0.1:5556"
    assert events_address("ipc:///tmp/h") == "ipc:///tmp/h.events"
    with pytest.raises(HumanizerError, match="give --events"):
        events_address("tcp://127.0.0.1:65535")


def test_remote_control_is_refused_without_allow_remote_and_keys(tmp_path):
    with pytest.raises(HumanizerError, match="loopback"):
        ControlServer("tcp://0.0.0.0:5599")
    with pytest.raises(HumanizerError, match="curve-keys"):
        ControlServer("tcp://0.0.0.0:5599", allow_remote=True)
    with pytest.raises(HumanizerError, match="server.key_secret"):
        ControlServer("tcp://0.0.0.0:5599", allow_remote=True, curve_keys=str(tmp_path))


def test_busy_control_address_is_a_clear_error():
    from humanizer.daemon.harness import free_port_pair

    address = f"tcp://127.0.0.1:{free_port_pair()}"
    first = ControlServer(address)
    try:
        with pytest.raises(HumanizerError, match="busy"):
            ControlServer(address)
    finally:
        first.close()


def test_control_server_answers_everything_and_survives(tmp_path):
    import zmq

    address = f"ipc://{tmp_path}/control"
    server = ControlServer(address)
    stop = threading.Event()

    def handle(request):
        if request["cmd"] == "boom":
            raise ValueError("bug")
        return {"ok": True, "echo": request["cmd"]}

    thread = threading.Thread(target=lambda: [server.serve(handle, 0.05)
                                              for _ in iter(stop.is_set, True)])
    thread.start()
    client = zmq.Context.instance().socket(zmq.REQ)
    client.setsockopt(zmq.RCVTIMEO, 3000)
    client.setsockopt(zmq.LINGER, 0)
    secure(client, None, address)
    client.connect(address)
    try:
        for request in (b"\x00\x01", b"[[[[[[" * 5000, b'{"cmd": "boom"}', b"x" * 70000):
            client.send(request)
            assert json.loads(client.recv())["ok"] is False
        client.send(b'{"cmd": "hello"}')
        assert json.loads(client.recv()) == {"ok": True, "echo": "hello"}
    finally:
        client.close(0)
        stop.set()
        thread.join()
        server.close()


def test_channel_styles_count_channels_from_one():
    assert values.channel_style("10=drums") == (9, "drums")
    assert values.channel_style(" 1 = piano") == (0, "piano")
    for bad in ("0=drums", "17=drums", "x=drums", "10=", "10", "１０=drums"):
        with pytest.raises(HumanizerError):
            values.channel_style(bad)


def test_ctl_requests():
    import argparse

    def args(**values):
        return argparse.Namespace(**values)

    assert request_of(args(action="set", key="strength", value=["0.5"])) == {
        "cmd": "set", "key": "strength", "value": 0.5}
    assert request_of(args(action="set", key="latency", value=["250ms"]))["value"] == "250ms"
    # a meter that changes, unquoted: `ctl set meter 4/4 3/4@17`
    assert request_of(args(action="set", key="meter", value=["4/4", "3/4@17"]))["value"] == \
        "4/4 3/4@17"
    for words, value in ((["meter", "4/4", "3/4@17"], "4/4 3/4@17"), (["feel", "-8ms"], "-8ms"),
                         (["strength", "0.5"], 0.5)):  # as the command line parses them
        parsed, _ = parse(["ctl", "set", *words, "--timeout", "1s"])
        assert request_of(parsed)["value"] == value
    assert request_of(args(action="bypass", state="on")) == {"cmd": "bypass", "on": True}
    assert request_of(args(action="use", style="drums", channel=9)) == {  # (parsed: 0-15)
        "cmd": "use", "style": "drums", "channel": 10}


def run_cli(*arguments: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "humanizer.cli", *arguments],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("latency", ["500", "-1ms", "abc"])
def test_serve_refuses_bad_latency_in_one_line(latency):
    result = run_cli("serve", "--latency", latency)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("options", [["--style", "no-such-style"],
                                     ["--channel-style", "17=drums"],
                                     ["--channel-style", "10=no-such-style"]])
def test_serve_refuses_unknown_style_or_channel(options):
    result = run_cli("serve", "--control", "ipc:///tmp/humanizer-test-bad", *options)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("humanizer") and result.stderr.count("\n") == 1


def test_ctl_without_daemon_fails_fast_and_clearly():
    from humanizer.daemon.harness import free_port_pair

    started = time.monotonic()
    result = run_cli("ctl", "--control", f"tcp://127.0.0.1:{free_port_pair()}",
                     "--timeout", "300ms", "status")
    assert result.returncode != 0
    assert "no humanizer daemon answered" in result.stderr
    assert result.stderr.count("\n") == 1
    assert time.monotonic() - started < 10


def test_runtime_modules_never_import_training_libraries():
    code = ("import sys, humanizer.cli, humanizer.commands.serve, humanizer.commands.ctl, "
            "humanizer.commands.humanize, humanizer.daemon.service, humanizer.daemon.stylemap\n"
            "from humanizer.daemon.stylemap import load_checked\n"
            "load_checked('piano')\n"
            "heavy = [m for m in ('tensorflow', 'keras', 'tf2onnx', 'onnx') if m in sys.modules]\n"
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def curve_folder(folder):
    """Server keys and one listed client's, as the README makes them."""
    import zmq.auth

    (folder / "clients").mkdir()
    zmq.auth.create_certificates(str(folder), "server")
    zmq.auth.create_certificates(str(folder), "client")
    (folder / "clients" / "client.key").write_bytes((folder / "client.key").read_bytes())
    return folder


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_remote_control_needs_a_listed_client_key(tmp_path, host):
    """On any address, keys given are keys used: on loopback they were silently ignored
    and any local user could control the daemon without one."""
    from humanizer.daemon.client import ask
    from humanizer.daemon.harness import free_port_pair

    curve_folder(tmp_path)
    port = free_port_pair()
    server = ControlServer(f"tcp://{host}:{port}", allow_remote=True, curve_keys=str(tmp_path))
    stop = threading.Event()
    thread = threading.Thread(target=lambda: [server.serve(lambda r: {"ok": True}, 0.05)
                                              for _ in iter(stop.is_set, True)])
    thread.start()
    try:
        address = f"tcp://127.0.0.1:{port}"
        assert ask(address, {"cmd": "status"}, 3, str(tmp_path)) == {"ok": True}
        with pytest.raises(HumanizerError, match="no humanizer daemon answered"):
            ask(address, {"cmd": "status"}, 0.5)  # no keys: no answer
    finally:
        stop.set()
        thread.join()
        server.close()



def asks_in_time(address: str, seconds: float = 1.0) -> bool:
    from humanizer.daemon.client import ask

    return ask(address, {"cmd": "status"}, seconds) == {"ok": True}


def test_an_oversized_request_is_cut_off_before_it_is_read():
    """128 KiB is the most a frame may be: libzmq drops the connection of a larger one
    before it is held in memory (the limit must be set before bind to count)."""
    import zmq

    from humanizer.daemon.harness import free_port_pair

    address = f"tcp://127.0.0.1:{free_port_pair()}"
    server = ControlServer(address)
    done = serving(server)
    client = zmq.Context.instance().socket(zmq.REQ)
    client.setsockopt(zmq.LINGER, 0)
    client.setsockopt(zmq.RCVTIMEO, 500)
    try:
        assert server.reply.getsockopt(zmq.MAXMSGSIZE) == MAX_MESSAGE
        secure(client, None, address)  # the owner's: anyone else is refused before this
        client.connect(address)
        client.send(b"x" * (8 * 1024 * 1024))
        with pytest.raises(zmq.Again):
            client.recv()  # no reply: the connection was cut
        assert asks_in_time(address)
    finally:
        client.close(0)
        done()


def test_raw_bytes_on_the_control_port_do_not_stall_it():
    import socket

    from humanizer.daemon.harness import free_port_pair

    port = free_port_pair()
    address = f"tcp://127.0.0.1:{port}"
    done = serving(ControlServer(address))
    garbage = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    try:
        for connection in garbage:
            connection.sendall(b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f" + b"GET / HTTP/1.0\r\n")
        started = time.monotonic()
        assert asks_in_time(address)
        assert time.monotonic() - started < 0.5
    finally:
        for connection in garbage:
            connection.close()
        done()


def test_a_second_daemon_on_an_ipc_path_is_refused_and_a_stale_file_reclaimed(tmp_path):
    import os
    import socket

    path = tmp_path / "control"
    address = f"ipc://{path}"
    first = ControlServer(address)
    try:
        assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)  # only this user's
        with pytest.raises(HumanizerError, match="busy"):
            ControlServer(address, events=f"ipc://{tmp_path}/other")
        assert path.exists()  # the first one's socket was left alone
    finally:
        first.close()
    assert not path.exists() and not Path(f"{path}.events").exists()  # removed at exit
    stale = tmp_path / "stale"
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(str(stale))  # a file nobody listens on, as a killed daemon leaves
    leftover.close()
    ControlServer(f"ipc://{stale}").close()


def test_an_abstract_ipc_name_is_not_loopback():
    assert not is_loopback("ipc://@humanizer")
    with pytest.raises(HumanizerError, match="loopback"):
        ControlServer("ipc://@humanizer")


def test_an_events_address_that_is_taken_names_the_events_flag():
    from humanizer.daemon.harness import free_port_pair

    port = free_port_pair()
    first = ControlServer(f"tcp://127.0.0.1:{port}")
    try:
        with pytest.raises(HumanizerError, match="--events"):
            ControlServer(f"tcp://127.0.0.1:{free_port_pair()}",
                          events=f"tcp://127.0.0.1:{port + 1}")
    finally:
        first.close()


def test_a_file_in_the_way_of_an_ipc_socket_is_kept_and_named(tmp_path, monkeypatch):
    """Not a socket (a song given by mistake): left alone. Another user's stale socket,
    which this user may not remove: one line, no traceback."""
    import os
    import socket

    song = tmp_path / "song.mid"
    song.write_bytes(b"MThd")
    with pytest.raises(HumanizerError, match="not a socket"):
        ControlServer(f"ipc://{song}")
    assert song.read_bytes() == b"MThd"
    stale = tmp_path / "theirs"
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(str(stale))
    leftover.close()

    def refused(path):
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(os, "unlink", refused)
    with pytest.raises(HumanizerError, match="cannot be removed .*choose --control"):
        ControlServer(f"ipc://{stale}")
