"""The runtime's floor order and its C wall, checked on the sources.

docs/architecture.md states the floors of Shared/SkalarRuntime: a folder may use the folders on lower
floors only. These tests find what each folder declares and fail when a file names a declaration of its
own floor's other folders or of a higher floor. They also fail when a file imports a C module outside
that module's wall.

What counts as a declaration of a folder:
- every top-level type, protocol, function, `let` and `var`, used by its bare name (an extension of a
  type is not a declaration of the type);
- every member an `extension` block declares (`func`, `var`, `let`, static or not, and nested types),
  used as `.name`: that is how `value.member`, `.staticMember` and `Type.Nested` name it.
Initialisers that an extension adds are not tracked: they are called by the extended type's name, which
belongs to the folder that declares the type, so a use cannot be told from a use of the type's own
initialisers.

A name that the using folder declares as well as a folder on its floor or above is reported too: the
source text cannot say which of the two a use means, so a same-named declaration could otherwise hide
a use of the higher one. Such a name is renamed rather than accepted.

Comments and the literal text of strings are ignored; the code inside a string's `\\(…)` counts.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = "Shared/SkalarRuntime"

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

# Which folders may import which C modules: the wall of the runtime, the SQLite and libpq wrappers, and the
# build facts the configuration reads. Every module under Shared/C* needs an entry; any other `C…` module
# fails unless it is a Swift module listed in SWIFT_MODULES_NAMED_C.
C_MODULES = {
    "CLibEvent": ["Shared/SkalarRuntime/LibEvent"],
    "CSQLite": ["Shared/SkalarSQLite"],
    "CLibPQ": ["Shared/SkalarPostgres"],
    "CZlib": ["Shared/SkalarRuntime/Support"],
    "CBuildInfo": ["Shared/SkalarRuntime/Configuration"],
}
# Swift modules of dependencies whose names happen to start with a C.
SWIFT_MODULES_NAMED_C = {"CoreMetrics"}
SCANNED_FOR_C_IMPORTS = ["Shared", "Services", "loadtest", "Tests"]

ACCESS = r"(?:(?:public|package|internal|fileprivate|private)(?:\(set\))?\s+)"
MODIFIERS = rf"(?:@\w+(?:\([^)]*\))?\s+)*(?:{ACCESS}|(?:final|indirect|nonisolated|static|class|mutating|override|lazy)\s+)*"
TOP_LEVEL = re.compile(
    rf"^{MODIFIERS}(?:class|struct|enum|protocol|actor|typealias|func|let|var)\s+([A-Za-z_]\w*)",
    re.MULTILINE,
)
EXTENSION = re.compile(r"^(?:@\w+\s+)*" + ACCESS + r"?extension [^{]*\{\n(.*?)^\}", re.MULTILINE | re.DOTALL)
MEMBER = re.compile(rf"^    {MODIFIERS}(?:func|var|let|class|struct|enum|protocol|actor|typealias)\s+([A-Za-z_]\w*)", re.MULTILINE)
STRING_START = re.compile(r'(#*)("""|")')
C_IMPORT = re.compile(
    r"^\s*(?:@\w+\s+)*import\s+(?:(?:struct|class|enum|func|var|let|typealias|protocol)\s+)?(C\w+)", re.MULTILINE
)


def floor_of(folder: str) -> int:
    for index, folders in enumerate(FLOORS):
        if folder in folders:
            return index
    raise AssertionError(f"{RUNTIME}/{folder} has no floor in this test and docs/architecture.md")


def code_of(source: str) -> str:
    """The source without comments and without the literal text of strings; what a string's `\\(…)`
    holds stays, as code. Line breaks stay where they were."""
    out = []
    end = _code(source, 0, out, in_interpolation=False)
    assert end == len(source), "unbalanced interpolation"
    return "".join(out)


def _code(source: str, i: int, out: list, in_interpolation: bool) -> int:
    depth = 0
    while i < len(source):
        if source.startswith("//", i):
            while i < len(source) and source[i] != "\n":
                i += 1
        elif source.startswith("/*", i):
            nesting = 0
            while i < len(source):
                if source.startswith("/*", i):
                    nesting, i = nesting + 1, i + 2
                elif source.startswith("*/", i):
                    nesting, i = nesting - 1, i + 2
                    if nesting == 0:
                        break
                else:
                    out.append("\n" if source[i] == "\n" else "")
                    i += 1
        elif (match := STRING_START.match(source, i)) and (match.group(1) or source[i] == '"'):
            out.append('""')
            i = _string(source, match.end(), match.group(1), match.group(2) == '"""', out)
        else:
            char = source[i]
            if in_interpolation and char == "(":
                depth += 1
            elif in_interpolation and char == ")":
                if depth == 0:
                    return i + 1
                depth -= 1
            out.append(char)
            i += 1
    return i


def _string(source: str, i: int, hashes: str, multiline: bool, out: list) -> int:
    closing = ('"""' if multiline else '"') + hashes
    escape = "\\" + hashes
    while i < len(source):
        if source.startswith(closing, i):
            return i + len(closing)
        if source.startswith(escape + "(", i):
            out.append(" (")
            i = _code(source, i + len(escape) + 1, out, in_interpolation=True)
            out.append(") ")
        elif source.startswith(escape, i):
            i += len(escape) + 1
        else:
            if source[i] == "\n":
                out.append("\n")
            i += 1
    return i


def runtime_sources(root: Path = ROOT) -> dict:
    """Path relative to the runtime → source, for every Swift file of the runtime under `root`."""
    runtime = root / RUNTIME
    return {path.relative_to(runtime).as_posix(): path.read_text() for path in sorted(runtime.rglob("*.swift"))}


def folder_of(relative: str) -> str:
    return relative.split("/")[0]


def declarations(sources: dict) -> dict:
    """Name → folders, for every declaration the module docstring counts."""
    declared = {}
    for relative, source in sources.items():
        code = code_of(source)
        top_level = "\n".join(line for line in code.splitlines() if not line.startswith((" ", "\t")))
        names = set(TOP_LEVEL.findall(top_level))
        for body in EXTENSION.findall(code):
            names.update("." + name for name in MEMBER.findall(body))
        for name in names:
            declared.setdefault(name, set()).add(folder_of(relative))
    return declared


def used_names(code: str) -> set:
    return set(re.findall(r"(?<![.\w])([A-Za-z_]\w*)\b", code)) | set(re.findall(r"(\.[A-Za-z_]\w*)\b", code))


def floor_problems(sources: dict) -> list:
    declared = declarations(sources)
    problems = []
    for relative, source in sources.items():
        folder = folder_of(relative)
        for name in sorted(used_names(code_of(source))):
            owners = declared.get(name, set())
            for owner in sorted(owners - {folder}):
                if floor_of(owner) < floor_of(folder):
                    continue
                if folder in owners:
                    problems.append(f"{RUNTIME}/{relative} ({folder}) uses {name}, declared here and in {owner}")
                else:
                    problems.append(f"{RUNTIME}/{relative} ({folder}) uses {name} from {owner}")
    return problems


def c_import_problems(sources: dict) -> list:
    """`sources`: path relative to the repository → source."""
    problems = []
    for relative, source in sources.items():
        for module in C_IMPORT.findall(source):
            if module in SWIFT_MODULES_NAMED_C:
                continue
            allowed = C_MODULES.get(module)
            if allowed is None:
                problems.append(f"{relative} imports {module}, which has no wall in this test")
            elif not any(relative.startswith(prefix + "/") for prefix in allowed):
                problems.append(f"{relative} imports {module}")
    return problems


def test_every_folder_has_a_floor():
    for folder in sorted({folder_of(relative) for relative in runtime_sources()}):
        floor_of(folder)


def test_no_folder_uses_its_own_floor_or_a_higher_one():
    problems = floor_problems(runtime_sources())
    assert not problems, "floor order broken:\n" + "\n".join(problems)


def test_c_libraries_are_imported_only_behind_their_walls():
    sources = {}
    for top in SCANNED_FOR_C_IMPORTS:
        for path in sorted((ROOT / top).rglob("*.swift")):
            if ".build" not in path.parts:
                sources[path.relative_to(ROOT).as_posix()] = path.read_text()
    problems = c_import_problems(sources)
    assert not problems, "C imports outside their wall:\n" + "\n".join(problems)


def test_every_c_module_has_a_wall():
    modules = {path.name for path in (ROOT / "Shared").iterdir() if path.is_dir() and path.name.startswith("C")}
    assert modules <= set(C_MODULES), f"no wall for {sorted(modules - set(C_MODULES))}"


# The checks themselves, on synthetic trees: each plants one violation and expects it reported.

LOW = "Support/Low.swift"
HIGH = "Lifecycle/High.swift"
HIGH_SOURCE = """\
public struct Engine {}
public func startEngine() {}
let sharedEngine = Engine()
public var engineCount: Int { 1 }
extension Engine {
    public static func make() -> Engine { Engine() }
    var horsepower: Int { 1 }
    public func ignite() {}
}
"""


def problems_with(low_source: str) -> list:
    return floor_problems({HIGH: HIGH_SOURCE, LOW: low_source})


@pytest.mark.parametrize(
    "use, name",
    [
        ("func f(_ engine: Engine) {}", "Engine"),
        ("func f() { startEngine() }", "startEngine"),
        ("func f() { _ = sharedEngine }", "sharedEngine"),
        ("func f() -> Int { engineCount }", "engineCount"),
        ("func f() { let e: E = .make() }", ".make"),
        ("func f(e: E) -> Int { e.horsepower }", ".horsepower"),
        ("func f(e: E) { e.ignite() }", ".ignite"),
        ('func f() -> String { "count: \\(engineCount)" }', "engineCount"),
        ('func f() -> String { #"count: \\#(engineCount) \\(x)"# }', "engineCount"),
        ('func f() -> String { """\n  \\("a" + "\\(engineCount)")\n  """ }', "engineCount"),
    ],
)
def test_a_use_of_a_higher_floor_is_reported(use, name):
    assert [problem for problem in problems_with(use) if f" uses {name} " in problem], problems_with(use)


@pytest.mark.parametrize(
    "use",
    [
        "// Engine, startEngine(), sharedEngine",
        "/* Engine /* nested */ .ignite() */",
        'let words = "Engine startEngine .ignite engineCount"',
        'let words = #"Engine \\(engineCount)"#',
        'let words = """\n  Engine \\\\(engineCount)\n  """',
    ],
)
def test_comments_and_string_text_are_not_uses(use):
    assert problems_with(use) == []


def test_a_same_named_declaration_does_not_hide_a_use():
    problems = problems_with("public struct Engine {}\nfunc f(_ engine: Engine) {}")
    assert any("uses Engine, declared here and in Lifecycle" in problem for problem in problems), problems


def test_a_lower_floor_may_be_used():
    assert floor_problems({HIGH: "func f() { g() }", LOW: "func g() {}"}) == []


def test_the_same_floor_is_reported():
    problems = floor_problems({"HTTP/A.swift": "struct Head {}", "Logging/B.swift": "func f(_ h: Head) {}"})
    assert problems == ["Shared/SkalarRuntime/Logging/B.swift (Logging) uses Head from HTTP"]


@pytest.mark.parametrize(
    "line",
    [
        "import CLibEvent",
        "@preconcurrency import CLibEvent",
        "import CLibEvent.event2",
        "import struct CLibEvent.evhttp",
        "import CLibEvent // for evhttp",
        "  @_implementationOnly import CLibEvent",
    ],
)
def test_a_c_import_outside_its_wall_is_reported(line):
    source = f"import Glibc\n{line}\n"
    assert c_import_problems({"Shared/SkalarRuntime/Server/A.swift": source}) == [
        "Shared/SkalarRuntime/Server/A.swift imports CLibEvent"
    ]
    assert c_import_problems({"Shared/SkalarRuntime/LibEvent/A.swift": source}) == []


def test_a_c_module_without_a_wall_is_reported():
    assert c_import_problems({"Services/Backend/A.swift": "import CNewThing\nimport CoreMetrics\n"}) == [
        "Services/Backend/A.swift imports CNewThing, which has no wall in this test"
    ]
