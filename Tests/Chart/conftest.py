"""Chart tests: run by scripts/test.sh through scripts/lib/chart-tools.sh, which installs the tools."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chartlib  # noqa: E402


def pytest_configure(config):
    missing = [path for path in (chartlib.HELM3, chartlib.HELM4) if not os.access(path, os.X_OK)]
    if missing:
        raise pytest.UsageError(
            f"missing {', '.join(missing)}: run the chart tests through scripts/test.sh, or first\n"
            "  bash -c 'source scripts/lib/chart-tools.sh && ensure_chart_tools'")


@pytest.fixture(scope="session")
def default():
    """The default rendering (as `helm install my-app ./helm-charts/my-app` makes it)."""
    return chartlib.manifests()
