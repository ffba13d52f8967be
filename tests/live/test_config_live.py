"""A daemon started with a settings file says where each setting came from."""

import pytest
from jack import jack_server

from humanizer import models
from humanizer.daemon.harness import Daemon, Probe, wait_until

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


def test_roles_from_the_config_a_flag_and_ctl_choose_each_channel_s_style(tmp_path):
    """Live, a part's track name is never heard: a channel's role is set (config, flag,
    ctl set role) and its role's style plays it; status shows each channel's role."""
    path = tmp_path / "config.toml"
    path.write_text('[roles]\n2 = "bass"\n')
    with jack_server():
        daemon = Daemon("--config", str(path), "--channel-role", "5=lead")
        try:
            styles = daemon.ask({"cmd": "status"})["styles"]
            assert styles["channels"]["2"] == models.role_style("bass")
            assert styles["channels"]["5"] == models.role_style("lead")
            assert styles["roles"] == {"2": "bass", "5": "lead", "10": "drums"}
            reply = daemon.ask({"cmd": "set", "key": "role", "value": "3=comping"})
            assert reply["ok"] and reply["styles"]["roles"]["3"] == "comping"
            assert reply["styles"]["channels"]["3"] == models.role_style("comping")
            refused = daemon.ask({"cmd": "set", "key": "role", "value": "3=tuba"})
            assert not refused["ok"] and "2=bass" in refused["error"]
            assert daemon.ask({"cmd": "status"})["sources"]["roles"] == "ctl"
        finally:
            code, _ = daemon.stop()
    assert code == 0


def test_a_program_change_gives_a_channel_its_role_s_style_unless_a_role_was_set(tmp_path):
    """Live, a track's name is never heard, but the DAW sends its program: a GM bass
    program on channel 2 gets the bass style, as offline; a role set by the user wins."""
    with jack_server():
        daemon = Daemon("--channel-role", "3=lead")
        probe = Probe()
        try:
            probe.connect()
            probe.send([0xC1, 33])  # channel 2: Electric Bass (finger)
            probe.send([0xC2, 33])  # channel 3: set to lead, stays lead
            probe.wait_heard(2)

            def styles():
                return daemon.ask({"cmd": "status"})["styles"]

            assert wait_until(lambda: styles()["roles"].get("2") == "bass", 5)
            assert styles()["channels"]["2"] == models.role_style("bass")
            assert styles()["roles"]["3"] == "lead"
            assert styles()["channels"]["3"] == models.role_style("lead")
        finally:
            probe.close()
            code, printed = daemon.stop()
    assert code == 0 and "channel 2: GM program 34 is a bass part" in printed
