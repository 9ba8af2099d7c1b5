"""Real PostgreSQL servers for the backend's tests, never a mock.

`SKALAR_TEST_DATABASE_URL` names a server the tests may create databases on (a superuser's URL):
scripts/test.sh starts a throwaway one on loopback (scripts/lib/postgres.sh) and sets it, so CI runs
these tests; without it they are skipped with that reason. Tests that stop and start a server get one of
their own, from the same helper.
"""

import os
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "loadtest" / "mesh"))
from postgres_server import PrivateServer, psql  # noqa: E402,F401  (servers of a test's own; SQL on any)

ADMIN_URL = os.environ.get("SKALAR_TEST_DATABASE_URL")
SKIP_REASON = "no PostgreSQL server configured: set SKALAR_TEST_DATABASE_URL (scripts/test.sh starts one)"
requires_postgres = pytest.mark.skipif(not ADMIN_URL, reason=SKIP_REASON)


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def with_password(url: str, password: str | None) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[1]
    userinfo = parts.username + (f":{password}" if password is not None else "")
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, parts.fragment))


def password_of(url: str) -> str:
    return urlsplit(url).password


class Database:
    """A fresh database on a server, dropped again by `drop()`."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.name = "skalar_test_" + uuid.uuid4().hex[:12]
        psql(admin_url, f"CREATE DATABASE {self.name}")
        self.url = with_database(admin_url, self.name)

    def query(self, sql: str) -> str:
        return psql(self.url, sql)

    def drop(self):
        psql(self.admin_url, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
