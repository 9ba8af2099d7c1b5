"""The README's settings table is the one the binaries describe (`--help-markdown`), merged for both.

Each service prints its own settings as a Markdown table. The README shows one table for both: a setting
only one service has says which, and a shared setting whose default differs shows both defaults. Run this
file as a script to print the table the README should hold.
"""

import subprocess

from conftest import BIN_DIR, ROOT

SERVICES = ["frontend", "backend"]
HEADER = ["variable", "default", "accepts", "meaning"]


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def described(service: str) -> list[list[str]]:
    """The rows of the service's `--help-markdown` table."""
    result = subprocess.run([str(BIN_DIR / service), "--help-markdown"], capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert cells(lines[0]) == HEADER and set(lines[1]) <= set("|-"), result.stdout
    return [cells(line) for line in lines[2:]]


def merged_table() -> str:
    rows = {service: {row[0]: row for row in described(service)} for service in SERVICES}
    variables = list(dict.fromkeys(variable for service in SERVICES for variable in rows[service]))
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---|---|"]
    for variable in variables:
        having = [service for service in SERVICES if variable in rows[service]]
        variable_cell, default, accepts, meaning = rows[having[0]][variable]
        if len(having) == 1:
            variable_cell += f" ({having[0]})"
        else:
            for service in having[1:]:
                assert rows[service][variable][2:] == [accepts, meaning], f"{variable} is described differently"
            defaults = [rows[service][variable][1] for service in having]
            if len(set(defaults)) > 1:
                default = ", ".join(f"{value} {service}" for value, service in zip(defaults, having))
        lines.append(f"| {variable_cell} | {default} | {accepts} | {meaning} |")
    return "\n".join(lines) + "\n"


def readme_table() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return "".join(line + "\n" for line in section.splitlines() if line.startswith("|"))


def test_the_merge_keeps_each_services_part():
    table = merged_table()
    assert "| `PORT` | `8080` frontend, `8081` backend |" in table
    assert "| `BACKEND_URL` (frontend) |" in table and "| `DATABASE_PATH` (backend) |" in table
    assert "| `DRAIN_SECONDS` | `5` |" in table


def test_readme_settings_table_matches_the_binaries():
    expected = merged_table()
    assert readme_table() == expected, (
        "README.md's settings table differs from what the binaries describe; replace it with:\n" + expected
    )


if __name__ == "__main__":
    print(merged_table(), end="")
