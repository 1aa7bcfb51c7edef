"""docs/nginx-example.conf stays a configuration nginx accepts: `nginx -t` in a temporary prefix
(scripts/nginx-example-check.sh; nothing is started). Skipped where nginx is not installed."""

from __future__ import annotations

import os
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
