"""A daemon started with a settings file says where each setting came from."""

import pytest
from jack import jack_server

from humanizer import models
from humanizer.daemon.harness import Daemon

pytestmark = pytest.mark.jack


def test_status_says_where_each_setting_came_from(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('latency = "250ms"\nstrength = 0.8\n[channels]\n2 = "pop"\n')
    with jack_server():
        daemon = Daemon("--config", str(path), "--strength", "0.5")
        try:
            status = daemon.ask({"cmd": "status"})
            assert status["settings"]["latency_ms"] == 250 and status["settings"]["strength"] == 0.5
            assert status["styles"]["channels"]["2"] == "pop"
            assert status["config"] == str(path)
            sources = status["sources"]
            assert (sources["latency"], sources["strength"], sources["timing"]) == (
                "config", "flag", "default")
            assert sources["channels"] == "config"
            assert daemon.ask({"cmd": "set", "key": "timing", "value": 0})["ok"]
            assert daemon.ask({"cmd": "status"})["sources"]["timing"] == "ctl"
            pop = str(models.find("pop"))  # a style file, by its absolute path: played
            assert daemon.ask({"cmd": "use", "style": pop, "channel": 3})["ok"]
            refused = daemon.ask({"cmd": "use", "style": "pop.onnx"})  # relative: refused
            assert not refused["ok"] and "absolute path" in refused["error"]
        finally:
            code, printed = daemon.stop()
    assert code == 0 and "humanizer: stopped: " in printed  # it says it stopped
