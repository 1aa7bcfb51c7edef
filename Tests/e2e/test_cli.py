"""The `switchboard` command line: check-config, send, show, status, version, --help."""

from __future__ import annotations

import json
import os
import re

import pytest

import sbharness as h
from sbharness import assert_ack, cli, json_in, message, unique

COMMANDS = ["run", "check-config", "send", "show", "status", "version"]


def _no_crash(r: h.Run) -> None:
    assert "Fatal error" not in r.output and "Stack dump" not in r.output and r.returncode >= 0, \
        f"the command crashed: {r!r}"


# ---------------------------------------------------------------------------------------------
# check-config
# ---------------------------------------------------------------------------------------------

def test_check_config_good(sb_bin, workdir):
    path = h.write_config(os.path.join(workdir, "adapters.json"), h.base_config(workdir))
    r = cli("check-config", "--config", path)
    assert r.returncode == 0, r
    assert any(line.startswith("OK") for line in r.stdout.splitlines()), r


def test_check_config_reports_every_problem_with_its_path(sb_bin, workdir):
    cfg = h.base_config(workdir)
    cfg["adapters"]["local"]["default_chanel"] = "web"   # typo of default_channel: unknown key
    cfg["ingest"]["backlog_budget"] = "lots"              # wrong type
    cfg["log"]["level"] = "loud"                          # not a level
    path = h.write_config(os.path.join(workdir, "adapters.json"), cfg)
    r = cli("check-config", "--config", path)
    _no_crash(r)
    assert r.returncode != 0, r
    assert not any(line.startswith("OK") for line in r.stdout.splitlines()), r
    for parts in (("adapters", "local", "default_chanel"), ("ingest", "backlog_budget"), ("log", "level")):
        assert h.path_pattern(*parts).search(r.output), f"{'.'.join(parts)} not reported: {r!r}"


def test_check_config_unknown_key_suggests_the_right_one(sb_bin, workdir):
    cfg = h.base_config(workdir)
    cfg["adapters"]["local"]["listner"] = cfg["adapters"]["local"].pop("listener")
    path = h.write_config(os.path.join(workdir, "adapters.json"), cfg)
    r = cli("check-config", "--config", path)
    assert r.returncode != 0, r
    assert h.path_pattern("adapters", "local", "listner").search(r.output), r
    assert "listener" in r.output.replace("listner", ""), f"a typo should get a did-you-mean: {r!r}"


def test_check_config_bad_json_names_the_position(sb_bin, workdir):
    path = h.write_config(os.path.join(workdir, "adapters.json"), '{\n  "version": 1,\n  "store": {"path": "x.db"},,\n}\n')
    r = cli("check-config", "--config", path)
    _no_crash(r)
    assert r.returncode != 0, r
    assert re.search(r"(?i)line\s*3|3:\d+|:3\b|offset|byte", r.output), f"should say where the syntax error is: {r!r}"


def test_check_config_missing_file(sb_bin, workdir):
    r = cli("check-config", "--config", os.path.join(workdir, "nope.json"))
    _no_crash(r)
    assert r.returncode != 0, r
    assert "nope.json" in r.output, r


def test_check_config_does_not_touch_store_or_socket(sb_bin, workdir):
    cfg = h.base_config(workdir)
    path = h.write_config(os.path.join(workdir, "adapters.json"), cfg)
    assert cli("check-config", "--config", path).returncode == 0
    assert not os.path.exists(cfg["store"]["path"]), "check-config must not create the store"
    assert not os.path.exists(cfg["listeners"]["local"]["path"]), "check-config must not bind the socket"


# ---------------------------------------------------------------------------------------------
# send / show / status against a running daemon
# ---------------------------------------------------------------------------------------------

def test_send_posts_and_prints_the_answer(shared_daemon):
    ext = unique("cli")
    r = cli("send", "--socket", shared_daemon.socket_path, "--channel", "web",
            "--from", "email:A@B.example", "--id", ext, "Hello from the command line")
    assert r.returncode == 0, r
    ans = json_in(r.stdout)
    assert h.MSG_ID.match(ans["id"]) and ans["duplicate"] is False, ans
    stored = shared_daemon.get(f"/v1/messages/{ans['id']}").json()
    assert stored["text"] == "Hello from the command line"
    assert stored["from"]["value"] == "a@b.example"
    assert ext in h.strings_in(stored)
    again = cli("send", "--socket", shared_daemon.socket_path, "--channel", "web",
                "--from", "email:a@b.example", "--id", ext, "Hello from the command line")
    assert again.returncode == 0, again
    dup = json_in(again.stdout)
    assert dup["id"] == ans["id"] and dup["duplicate"] is True, dup


def test_send_rejected_by_daemon_exits_nonzero_with_field(shared_daemon):
    r = cli("send", "--socket", shared_daemon.socket_path, "--channel", "fax",
            "--from", "email:a@b.example", "--id", unique("cli"), "text")
    _no_crash(r)
    assert r.returncode != 0, r
    assert "channel" in r.output, r


@pytest.mark.parametrize("args", [
    ["--channel", "web", "--from", "a@b.example", "--id", "x", "text"],       # from without kind:
    ["--channel", "web", "--from", "email:a@b.example", "--id", "x"],          # no text
    ["--channel", "web", "--id", "x", "text"],                                 # no --from
])
def test_send_usage_errors(shared_daemon, args):
    r = cli("send", "--socket", shared_daemon.socket_path, *args)
    _no_crash(r)
    assert r.returncode != 0, r
    assert r.stderr.strip() or r.stdout.strip(), "a usage error needs a message"


def test_show_message_and_contact(shared_daemon):
    text = f"show me {unique('t')}"
    ack = assert_ack(shared_daemon.post("/v1/messages", message(channel="email", value="Show.Me@example.com", text=text)))
    r = cli("show", "--socket", shared_daemon.socket_path, ack["id"])
    assert r.returncode == 0, r
    assert text in r.stdout and ack["id"] in r.stdout, r
    c = cli("show", "--socket", shared_daemon.socket_path, ack["contact"])
    assert c.returncode == 0, c
    assert "show.me@example.com" in c.stdout and ack["id"] in c.stdout, c


def test_show_unknown_id_exits_nonzero(shared_daemon):
    r = cli("show", "--socket", shared_daemon.socket_path, "msg_00000000000000000000000000")
    _no_crash(r)
    assert r.returncode != 0, r
    assert r.output.strip(), r


def test_status_and_version(shared_daemon):
    r = cli("status", "--socket", shared_daemon.socket_path)
    assert r.returncode == 0, r
    assert "local" in r.stdout, f"status should list the adapters: {r!r}"
    v = cli("version")
    assert v.returncode == 0, v
    m = re.search(r"\d+\.\d+\.\d+\S*", v.stdout)
    assert m, v
    assert shared_daemon.get("/v1/status").json()["version"] == m.group(0), "CLI and daemon versions differ"
    assert m.group(0) in r.stdout, f"status should show the daemon's version: {r!r}"


def test_status_without_daemon_is_a_clear_error(sb_bin, workdir):
    sock = os.path.join(workdir, "nobody.sock")
    r = cli("status", "--socket", sock, timeout=10)
    _no_crash(r)
    assert r.returncode != 0, r
    assert sock in r.output or re.search(r"(?i)not running|no daemon|cannot connect|could not connect|connection refused|no such file", r.output), r
    # A stale socket file (the daemon was killed) is the same: not running.
    import socket as so
    s = so.socket(so.AF_UNIX, so.SOCK_STREAM)
    s.bind(sock)
    s.close()
    r = cli("status", "--socket", sock, timeout=10)
    _no_crash(r)
    assert r.returncode != 0, r


def test_send_without_daemon_fails(sb_bin, workdir):
    r = cli("send", "--socket", os.path.join(workdir, "nobody.sock"), "--channel", "web",
            "--from", "email:a@b.example", "--id", "x", "text", timeout=10)
    _no_crash(r)
    assert r.returncode != 0, r


# ---------------------------------------------------------------------------------------------
# help
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(sb_bin, command):
    r = cli(command, "--help", timeout=10)
    assert r.returncode == 0, r
    assert re.search(r"(?i)usage", r.stdout), f"{command} --help should print usage on stdout: {r!r}"
    assert command in r.stdout, r


def test_top_level_help_lists_commands(sb_bin):
    r = cli("--help", timeout=10)
    assert r.returncode == 0, r
    for c in COMMANDS:
        assert c in r.stdout, f"{c} missing from switchboard --help: {r!r}"


def test_unknown_command(sb_bin):
    r = cli("frobnicate", timeout=10)
    _no_crash(r)
    assert r.returncode != 0, r
    assert re.search(r"(?i)usage|unknown|frobnicate", r.output), r


def test_version(sb_bin):
    r = cli("version", timeout=10)
    assert r.returncode == 0, r
    assert re.search(r"\d+\.\d+\.\d+", r.stdout), r
