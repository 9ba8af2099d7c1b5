"""Every Swift source is formatted as .swift-format says, and no line is wider than its lineLength.

`swift format lint` reports what the formatter would change, but not a line it cannot break (a long
string literal), so the width is checked here as well.
"""

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def swift_sources():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.swift"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()
    return [path for path in listed if (ROOT / path).exists()]


def test_swift_format_lint_is_clean():
    result = subprocess.run(
        ["swift", "format", "lint", "--strict", "--configuration", ".swift-format", *swift_sources()],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_no_line_is_wider_than_the_configured_width():
    width = json.loads((ROOT / ".swift-format").read_text())["lineLength"]
    wide = [
        f"{path}:{number}: {len(line)} columns"
        for path in swift_sources()
        for number, line in enumerate((ROOT / path).read_text().splitlines(), start=1)
        if len(line) > width
    ]
    assert not wide, "\n".join(wide)
