"""A throwaway PostgreSQL server on loopback that its owner may stop and start: for the backend's tests
and the PostgreSQL drills. It is scripts/lib/postgres.sh's server (Debian's `postgresql`, run as the
`postgres` user when we are root, SCRAM over TCP), driven from Python."""

import subprocess
from pathlib import Path

from ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _helper(function: str, *args: str) -> None:
    """Runs a function of scripts/lib/postgres.sh."""
    script = f'source scripts/lib/setup.sh && source scripts/lib/postgres.sh && {function} "$@"'
    result = subprocess.run(["bash", "-c", script, "postgres.sh", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{function} failed: {result.stderr}")


def psql(url: str, sql: str, timeout: float = 30) -> str:
    """Runs `sql` with psql and returns its unaligned output."""
    result = subprocess.run(
        ["psql", "--no-psqlrc", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr}")
    return result.stdout.strip()


class PrivateServer:
    """A server of its own: a fresh cluster in `directory`, which must be empty and outside any folder
    that only root may enter (the server runs as another user)."""

    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        _helper("postgres_start", str(directory), str(port or free_port()))
        self.url = (directory / "url").read_text().strip()
        self.port = int((directory / "port").read_text())

    def stop(self):
        """A fast shutdown: sessions are closed, nothing committed is lost."""
        _helper("postgres_stop", str(self.directory))

    def start(self):
        _helper("postgres_launch", str(self.directory))

    def restart(self):
        _helper("postgres_restart", str(self.directory))
