"""Bad configuration stops the process at start-up with status 2 and one line naming the setting."""

import os
import socket
import subprocess
import tempfile

import pytest

from conftest import BIN_DIR


def run(binary, env=None, args=None):
    full_env = {"PATH": os.environ.get("PATH", ""), "PORT": "0", "ADMIN_PORT": "0",
                "DATABASE_PATH": os.path.join(tempfile.mkdtemp(), "db.sqlite")}
    full_env.update(env or {})
    return subprocess.run([str(BIN_DIR / binary), *(args or [])], env=full_env, capture_output=True, text=True, timeout=10)


@pytest.mark.parametrize(
    "binary,env,variable",
    [
        ("backend", {"PORT": "http"}, "PORT"),
        ("backend", {"PORT": "70000"}, "PORT"),
        ("frontend", {"ADMIN_PORT": "-1"}, "ADMIN_PORT"),
        ("backend", {"EVENT_LOOPS": "0"}, "EVENT_LOOPS"),
        ("backend", {"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ("backend", {"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ("backend", {"DRAIN_SECONDS": "soon"}, "DRAIN_SECONDS"),
        ("backend", {"SHUTDOWN_TIMEOUT_SECONDS": "0"}, "SHUTDOWN_TIMEOUT_SECONDS"),
        ("backend", {"MAX_BODY_BYTES": "1e9"}, "MAX_BODY_BYTES"),
        ("backend", {"BIND_ADDRESS": "localhost"}, "BIND_ADDRESS"),
        ("backend", {"ACCESS_LOG": "maybe"}, "ACCESS_LOG"),
        ("frontend", {"BACKEND_URL": "ftp://backend"}, "BACKEND_URL"),
        ("frontend", {"BACKEND_TIMEOUT_MS": "0"}, "BACKEND_TIMEOUT_MS"),
        ("backend", {"DATABASE_PATH": "/tmp/"}, "DATABASE_PATH"),
        ("backend", {"SEED_ENTRIES": "-1"}, "SEED_ENTRIES"),
    ],
)
def test_bad_value_exits_2_with_one_line(binary, env, variable):
    result = run(binary, env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and "expected" in lines[0]


def test_flag_wins_over_environment():
    result = run("backend", {"PORT": "1"}, ["--port", "nope"])
    assert result.returncode == 2 and "PORT" in result.stderr and "nope" in result.stderr


def test_unknown_flag_is_a_usage_error():
    result = run("backend", args=["--no-such-flag"])
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_exits_0():
    result = run("frontend", args=["--help"])
    assert result.returncode == 0 and "BACKEND_URL" in result.stdout


def test_port_in_use_exits_1():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("backend", {"PORT": str(port), "BIND_ADDRESS": "127.0.0.1"})
    assert result.returncode == 1
    assert "PORT" in result.stderr and str(port) in result.stderr
