"""Fixtures for the end-to-end suite.

Every test gets its own temporary directory (short path: Unix socket paths are limited to 107
bytes). Every daemon a test starts is killed by pid when the test ends, passed or failed; a
per-test time limit kills the test's daemons so that a hung daemon fails the test instead of
hanging the run; and each daemon is started with PR_SET_PDEATHSIG so none outlives pytest.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest

import sbharness as h

DEFAULT_LIMIT_S = 45.0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    h.kill_all_started()


@pytest.fixture(scope="session")
def sb_bin() -> str:
    path = h.binary()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"switchboard binary not found at {path}: build it (swift build) or set SWITCHBOARD_BIN",
                    pytrace=False)
    return path


@pytest.fixture
def workdir(request: pytest.FixtureRequest):
    d = h.short_tempdir()
    yield d
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed and os.environ.get("SB_E2E_KEEP"):
        print(f"\nkept work dir {d}")
    else:
        shutil.rmtree(d, ignore_errors=True)


class DaemonFactory:
    def __init__(self, workdir: str):
        self.workdir = workdir
        self.daemons: list[h.Daemon] = []
        self.n = 0

    def __call__(self, config: dict | None = None, env: dict | None = None, start: bool = True,
                  notify: bool = True, subdir: str | None = None, **overrides) -> h.Daemon:
        self.n += 1
        d = os.path.join(self.workdir, subdir or f"d{self.n}")
        os.makedirs(d, exist_ok=True)
        cfg = config if config is not None else h.base_config(d, **overrides)
        daemon = h.Daemon(d, cfg, env=env, notify=notify)
        self.daemons.append(daemon)
        if start:
            daemon.start()
        return daemon


@pytest.fixture(autouse=True)
def _time_limit(request: pytest.FixtureRequest):
    """A hung daemon must fail its test, not hang the run: after the limit every daemon still
    running is SIGKILLed (by pid), which unblocks whatever the test was waiting on."""
    marker = request.node.get_closest_marker("time_limit")
    limit = float(marker.args[0]) if marker else DEFAULT_LIMIT_S
    fired = []

    def expire():
        fired.append(h.kill_all_started())

    timer = threading.Timer(limit, expire)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()
    if fired:
        pytest.fail(f"test exceeded its {limit:.0f}s limit; killed daemons {fired[0]}", pytrace=False)


@pytest.fixture
def daemon_factory(request: pytest.FixtureRequest, sb_bin: str, workdir: str):
    factory = DaemonFactory(workdir)
    yield factory
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for d in factory.daemons:
        if failed:
            print(f"\n---- daemon stderr ({d.dir}), last lines ----\n{d.stderr_tail(60)}")
        d.cleanup()


@pytest.fixture
def daemon(daemon_factory) -> h.Daemon:
    """A running daemon on the core config."""
    return daemon_factory()


# One daemon shared by the read/write API tests of a module: they use unique ids, so they do not
# disturb each other, and the suite stays fast.
@pytest.fixture(scope="module")
def shared_daemon(request: pytest.FixtureRequest, sb_bin: str):
    d = h.short_tempdir()
    daemon = h.Daemon(d, h.base_config(d))
    daemon.start()
    yield daemon
    if request.session.testsfailed:
        print(f"\n---- shared daemon stderr ({d}), last lines ----\n{daemon.stderr_tail(60)}")
    daemon.cleanup()
    shutil.rmtree(d, ignore_errors=True)
