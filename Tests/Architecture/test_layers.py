"""The runtime's floor order and its C wall, checked on the sources.

docs/architecture.md states the floors of Shared/SkalarRuntime: a folder may use the folders on lower
floors only. These tests find every type, protocol, extension and top-level function a folder declares
and fail when a file names one declared on its own floor's other folders or above. They also fail when a
file outside the wall imports a C module.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "Shared" / "SkalarRuntime"

# Lowest first. A folder may use the folders of lower floors, never its own floor's others or higher ones.
FLOORS = [
    ["Support"],
    ["HTTP", "Logging"],
    ["LibEvent"],
    ["EventLoop", "Router"],
    ["Configuration", "Metrics"],
    ["Client", "Operations"],
    ["Server"],
    ["Lifecycle"],
]

# Which modules may import which C libraries: the wall of the runtime, and the SQLite wrapper.
C_MODULES = {"CLibEvent": ["Shared/SkalarRuntime/LibEvent"], "CSQLite": ["Shared/SkalarSQLite"],
             "CZlib": ["Shared/SkalarRuntime/Support"]}

DECLARATION = re.compile(
    r"^(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private|final|indirect|nonisolated)\s+)*"
    r"(?:class|struct|enum|protocol|actor|typealias|func)\s+([A-Za-z_]\w*)",
    re.MULTILINE,
)
# Static members that an extension adds to another module's type (`HTTPField.Name.requestID`) are used as
# `.member`, so they are tracked as declarations of the extension's folder too.
EXTENSION = re.compile(r"^extension [^{]*\{\n(.*?)^\}", re.MULTILINE | re.DOTALL)
STATIC_MEMBER = re.compile(
    r"^    (?:(?:public|package|internal|fileprivate|private)\s+)?static (?:let|var|func) ([A-Za-z_]\w*)", re.MULTILINE
)


def folder_of(path: Path) -> str:
    return path.relative_to(RUNTIME).parts[0]


def floor_of(folder: str) -> int:
    for index, folders in enumerate(FLOORS):
        if folder in folders:
            return index
    raise AssertionError(f"Shared/SkalarRuntime/{folder} has no floor in this test and docs/architecture.md")


def strip_comments_and_strings(source: str) -> str:
    source = re.sub(r'"""[\s\S]*?"""', '""', source)
    source = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', source)
    source = re.sub(r"/\*[\s\S]*?\*/", "", source)
    return re.sub(r"//[^\n]*", "", source)


def runtime_files():
    return sorted(RUNTIME.rglob("*.swift"))


def declarations():
    """Name → folder, for every top-level declaration of the runtime."""
    declared = {}
    for path in runtime_files():
        code = strip_comments_and_strings(path.read_text())
        top_level = "\n".join(line for line in code.splitlines() if not line.startswith((" ", "\t")))
        for name in DECLARATION.findall(top_level):
            declared.setdefault(name, set()).add(folder_of(path))
        for body in EXTENSION.findall(code):
            for name in STATIC_MEMBER.findall(body):
                declared.setdefault("." + name, set()).add(folder_of(path))
    return declared


def test_every_folder_has_a_floor():
    for folder in sorted({folder_of(path) for path in runtime_files()}):
        floor_of(folder)


def test_no_folder_uses_its_own_floor_or_a_higher_one():
    declared = declarations()
    problems = []
    for path in runtime_files():
        folder = folder_of(path)
        code = strip_comments_and_strings(path.read_text())
        used = set(re.findall(r"\b([A-Za-z_]\w*)\b", code)) | set(re.findall(r"(\.[A-Za-z_]\w*)\b", code))
        for name in sorted(used):
            for owner in declared.get(name, ()):
                if owner != folder and floor_of(owner) >= floor_of(folder) and folder not in declared[name]:
                    problems.append(f"{path.relative_to(ROOT)} ({folder}) uses {name} from {owner}")
    assert not problems, "floor order broken:\n" + "\n".join(problems)


def test_c_libraries_are_imported_only_behind_their_walls():
    problems = []
    for path in sorted((ROOT / "Shared").rglob("*.swift")) + sorted((ROOT / "Services").rglob("*.swift")) + sorted(
        (ROOT / "loadtest").rglob("*.swift")
    ):
        relative = path.relative_to(ROOT).as_posix()
        for module in re.findall(r"^import (C\w+)$", path.read_text(), re.MULTILINE):
            allowed = C_MODULES.get(module)
            if allowed is None:
                continue
            if not any(relative.startswith(prefix + "/") for prefix in allowed):
                problems.append(f"{relative} imports {module}")
    assert not problems, "C imports outside their wall:\n" + "\n".join(problems)


@pytest.mark.parametrize("folder", ["Support", "LibEvent"])
def test_the_check_sees_declarations(folder):
    # Guards the test itself: if the pattern stopped matching, every floor check would pass vacuously.
    owners = {owner for folders in declarations().values() for owner in folders}
    assert folder in owners
