"""The local Envoy mesh drills (loadtest/mesh/drills.py), each a test: rolling update, canary, backend
restart, crash durability and the HPA input, and the drills on Kubernetes' timeline (canary enable,
re-weight and promote, a stable roll during a canary, abort, backend rollouts with classic and native
sidecars, a backend rollback), and three backends on one PostgreSQL server (a rolling update, kill -9 of
a replica, a server restart, the backend's HPA input), all on loopback and bounded in time."""

import sys

import pytest

from conftest import BIN_DIR, ROOT

sys.path.insert(0, str(ROOT / "loadtest" / "mesh"))
import drills  # noqa: E402


@pytest.fixture(autouse=True)
def binaries(monkeypatch):
    monkeypatch.setenv("SKALAR_BIN_DIR", str(BIN_DIR))


@pytest.mark.parametrize("name", list(drills.DRILLS))
def test_drill(name, capsys):
    drills.DRILLS[name]()
