"""docs/nginx-example.conf: a configuration nginx accepts (`nginx -t` in a temporary prefix,
scripts/nginx-example-check.sh), and, run for real in front of the daemon on loopback ports, one
that lets 50 agents behind one address hold their event streams. `make test` installs nginx
(without starting its service); run by hand without it, these tests skip with that hint."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import subprocess

import pytest

import sbharness as h

CHECK = os.path.join(h.REPO_ROOT, "scripts", "nginx-example-check.sh")
EXAMPLE = os.path.join(h.REPO_ROOT, "docs", "nginx-example.conf")


def test_the_nginx_example_is_accepted_by_nginx():
    r = subprocess.run([CHECK], capture_output=True, text=True, timeout=60)
    if r.returncode == 2:
        pytest.skip(r.stderr.strip())
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_check_refuses_a_broken_example(tmp_path):
    with open(EXAMPLE) as f:
        broken = f.read().replace("limit_conn sb_console_conns 300;", "limit_conn sb_console_conns;")
    path = tmp_path / "broken.conf"
    path.write_text(broken)
    r = subprocess.run([CHECK, str(path)], capture_output=True, text=True, timeout=60)
    if r.returncode == 2:
        pytest.skip(r.stderr.strip())
    assert r.returncode == 1 and "limit_conn" in r.stderr


# -------------------------------------------------------------------------------------------
# The example, run: nginx (its own process on loopback ports, stopped by pid) in front of the
# daemon's console listener, 50 agents from one address.
# -------------------------------------------------------------------------------------------

AGENTS = [f"a{i:02d}" for i in range(1, 51)]


class ExampleNginx:
    """docs/nginx-example.conf with its ports moved to free loopback ports, the console upstream
    pointed at the daemon, and a throwaway certificate; nginx runs in the foreground as a child."""

    def __init__(self, directory: str, console_port: int):
        from mail_helpers import free_port, port_open, wait_until
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx) or not shutil.which("openssl"):
            pytest.skip("nginx or openssl is not installed (make test-deps installs them)")
        os.makedirs(os.path.join(directory, "logs"), exist_ok=True)
        self.port = free_port()
        cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=support.example.com",
                        "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
        with open(EXAMPLE) as f:
            text = f.read()
        for old, new in (("listen 80;", f"listen 127.0.0.1:{free_port()};"),
                         ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.port} ssl http2;"),
                         ("server 127.0.0.1:8080;", f"server 127.0.0.1:{free_port()};"),
                         ("server 127.0.0.1:8081;", f"server 127.0.0.1:{console_port};"),
                         ("/etc/letsencrypt/live/support.example.com/fullchain.pem", cert),
                         ("/etc/letsencrypt/live/support.example.com/privkey.pem", key)):
            assert old in text, f"the example no longer has {old!r}: update this test"
            text = text.replace(old, new)
        with open(os.path.join(directory, "example.conf"), "w") as f:
            f.write(text)
        conf = os.path.join(directory, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"daemon off;\nmaster_process off;\npid {directory}/nginx.pid;\nerror_log {directory}/logs/error.log;\n"
                    f"events {{ worker_connections 1024; }}\n"
                    f"http {{ access_log off; client_body_temp_path {directory}/body; proxy_temp_path {directory}/proxy;\n"
                    f"       include {directory}/example.conf; }}\n")
        self.log = os.path.join(directory, "logs", "error.log")
        self.proc = subprocess.Popen([nginx, "-p", directory + "/", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until(lambda: port_open(self.port) or self.proc.poll() is not None, what="nginx")
        assert self.proc.poll() is None, self.proc.stderr.read().decode()

    def connect(self) -> http.client.HTTPSConnection:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE   # the throwaway certificate of this test
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=10)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


def _headers(token: str) -> dict:
    return {"Host": "support.example.com", "Authorization": f"Bearer {token}", "Accept": "text/event-stream"}


def _next_event(response) -> tuple[str, dict]:
    event = None
    while True:
        line = response.fp.readline()
        assert line, "the event stream ended"
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event:
            return event, json.loads(line[6:])


def test_fifty_agents_behind_one_address_hold_their_event_streams_through_the_example(daemon_factory, workdir):
    d = daemon_factory(listeners={"console": {"type": "tcp", "address": "127.0.0.1", "port": 0, "trusted_proxies": ["127.0.0.1"]}},
                       agent_api={"listener": "console"}, skills=["general"],
                       queues={"general": {"skills": ["general"]}},
                       agents={a: {"skills": {"general": 1}, "capacity": {"email": 1}} for a in AGENTS},
                       matrix={"default": {"queue": "general"}})
    console = next(int(l["address"].rsplit(":", 1)[1]) for l in d.get("/v1/status").json()["listeners"] if l["name"] == "console")
    tokens = {}
    for agent in AGENTS:
        r = d.post(f"/v1/agents/{agent}/tokens", {"label": "nginx-example"})
        assert r.status == 201, r
        tokens[agent] = r.json()["token"]
    proxy = ExampleNginx(os.path.join(workdir, "nginx"), console)
    streams = []
    try:
        # Every console's event stream, all from 127.0.0.1 (one office NAT): none refused (the
        # webhooks' 20 per address would answer the 21st with 429), and the daemon's greeting
        # comes through at once.
        for agent in AGENTS:
            conn = proxy.connect()
            conn.request("GET", "/v1/me/events", headers=_headers(tokens[agent]))
            r = conn.getresponse()
            assert r.status == 200, (agent, r.status, r.read()[:200])
            assert r.getheader("Content-Type", "").startswith("text/event-stream")
            assert _next_event(r)[0] == "hello"
            streams.append((agent, conn, r))
        # With all 50 open, calls still go through, and an event reaches its stream at once.
        last, _, stream = streams[-1]
        conn = proxy.connect()
        conn.request("PUT", "/v1/me/status", body=json.dumps({"status": "available"}),
                     headers={**_headers(tokens[last]), "Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 200, (r.status, r.read()[:200])
        r.read()
        conn.request("GET", "/v1/me", headers=_headers(tokens[last]))
        assert conn.getresponse().status == 200
        conn.close()
        event, data = _next_event(stream)
        assert event == "status" and data.get("status") == "available", (event, data)
        with open(proxy.log) as f:
            assert "limiting connections" not in f.read()
    finally:
        for _, c, _ in streams:
            c.close()
        proxy.stop()
