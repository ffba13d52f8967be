"""The live panel (`serve --panel`) in a real headless Chromium against a daemon on JACK:
the page shows the channels as they play, and a slider moved on it changes the next
notes - through the control socket, with ctl's checks."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest
from browser import chromium, console_errors, needs_chromium, until
from jack import jack_server

from humanizer.daemon.harness import Daemon, free_port_pair

pytestmark = [pytest.mark.jack, needs_chromium]
LATENCY = 0.3


@pytest.fixture(scope="module", autouse=True)
def server():
    with jack_server() as name:
        yield name


@pytest.fixture
def daemon(server, tmp_path):
    """The daemon with its panel; the panel's secret kept in a folder of this test's."""
    started = Daemon("--latency", "300ms", "--panel", str(free_port_pair()),
                     env={"XDG_CONFIG_HOME": str(tmp_path)})
    yield started
    if started.process.poll() is None:
        started.stop()


def play(probe, notes: int, channel: int, velocity: int) -> None:
    for i in range(notes):
        probe.send([0x90 | channel, 60 + i % 12, velocity])
        time.sleep(0.02)
        probe.send([0x80 | channel, 60 + i % 12, 0])
        time.sleep(0.02)


def velocities_out(received) -> list[int]:
    return [m[2] for _, m in received if m[0] & 0xF0 == 0x90 and m[2] > 0]


def test_a_channel_slider_on_the_panel_changes_the_next_notes(daemon, probe):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    address = daemon.ask({"cmd": "status"})["panel"]
    assert address.startswith("http://127.0.0.1:") and "#" in address
    with chromium() as browser:
        browser.get(address)
        assert until(lambda: "humanizer-in" in browser.find_element(By.ID, "ports").text)
        play(probe, 12, channel=1, velocity=77)
        assert len(velocities_out(probe.wait_for(24, timeout=5))) == 12
        assert until(lambda: browser.execute_script(
            "return (state.notes[2] || []).filter(n => n.kind === 'out').length") == 12)
        drawn = browser.execute_script("return state.notes[2].map(n => n.velocity)")
        assert len(set(drawn)) > 3 and 77 in drawn  # in at 77, out humanized
        row = browser.find_element(By.CSS_SELECTOR, '.channel[data-channel="2"]')
        assert until(lambda: "style" in row.find_element(By.CLASS_NAME, "what").text)
        row.find_element(By.CLASS_NAME, "own-strength").send_keys(Keys.HOME)  # to 0
        assert until(lambda: daemon.ask({"cmd": "status"})["settings"]["channel_strength"]
                     == {"2": 0})
        assert until(lambda: "(its own)" in row.find_element(By.CLASS_NAME, "own-value").text)
        play(probe, 12, channel=1, velocity=77)
        play(probe, 12, channel=0, velocity=77)
        later = velocities_out(probe.wait_for(72, timeout=5))[12:]
        assert later[:12] == [77] * 12  # channel 2 at its own strength 0: as played
        assert len(set(later[12:])) > 3  # channel 1 at the strength of the rest
        browser.find_element(By.ID, "bypass").click()
        assert until(lambda: daemon.ask({"cmd": "status"})["settings"]["bypass"])
        assert console_errors(browser) == []


def test_the_panel_answers_only_its_own_page(daemon):
    address = daemon.ask({"cmd": "status"})["panel"]
    base, secret = address.split("#")

    def get(path: str, headers: dict) -> tuple[int, dict]:
        request = urllib.request.Request(base.rstrip("/") + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    assert get("/api/status", {})[0] == 403  # no secret: another user, another site
    assert get("/api/status", {"X-Humanizer-Panel": secret, "Host": "evil.example:80"}
               )[0] == 403  # DNS rebinding
    code, reply = get("/api/status", {"X-Humanizer-Panel": secret})
    assert code == 200 and reply["ok"] and reply["panel"] == address
    refused = urllib.request.Request(base.rstrip("/") + "/api/request", method="POST",
                                     data=b'{"cmd": "set", "key": "strength", "value": 2}',
                                     headers={"X-Humanizer-Panel": secret})
    with urllib.request.urlopen(refused, timeout=5) as response:
        assert json.loads(response.read()) == {
            "ok": False, "error": "strength must be between 0 and 1, not 2"}  # as ctl says


def test_a_panel_port_in_use_is_one_line_and_no_daemon(server):
    import subprocess
    import sys

    control = f"tcp://127.0.0.1:{free_port_pair()}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "humanizer.cli", "serve", "--api", "jack",
                               "--control", control, "--panel", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in done.stderr
