"""helm lint --strict with Helm 3 and Helm 4, and yamllint on the chart's YAML and its renderings."""

import pytest

import chartlib
from chartlib import CHART, HELMS, VALUE_FILES, VALUES_DIR, run

YAMLLINT_CONFIG = str(chartlib.Path(__file__).resolve().parent / "yamllint.yaml")


@pytest.mark.parametrize("helm", sorted(HELMS))
@pytest.mark.parametrize("values_file", [None, *VALUE_FILES])
def test_helm_lint_strict(helm, values_file):
    argv = [HELMS[helm], "lint", "--strict", str(CHART), "--namespace", chartlib.NAMESPACE]
    if values_file:
        argv += ["-f", str(VALUES_DIR / values_file)]
    result = run(argv)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_helm_lint_fails_on_a_broken_chart(tmp_path):
    """The lint step can fail: a template with a syntax error is reported by both Helm versions."""
    broken = tmp_path / "my-app"
    chartlib.shutil_copytree(CHART, broken)
    (broken / "templates" / "broken.yaml").write_text("{{ if }}\n")
    for helm in HELMS.values():
        assert run([helm, "lint", "--strict", str(broken)]).returncode != 0


def yamllint(path_or_text, *, text=False):
    """yamllint's problems; for rendered text (PromQL expressions are long) without line-length."""
    import yamllint.config
    import yamllint.linter

    if text:
        config = yamllint.config.YamlLintConfig(
            content=f"extends: {YAMLLINT_CONFIG}\nrules:\n  line-length: disable\n")
    else:
        config = yamllint.config.YamlLintConfig(file=YAMLLINT_CONFIG)
    source = path_or_text if text else open(path_or_text).read()
    return [f"{p.line}:{p.column} {p.rule} {p.message}" for p in yamllint.linter.run(source, config)]


@pytest.mark.parametrize("path", ["values.yaml", "Chart.yaml", *[f"values/{n}" for n in VALUE_FILES]])
def test_yamllint_chart_files(path):
    file = CHART / path if not path.startswith("values/") else VALUES_DIR / path.split("/", 1)[1]
    assert yamllint(file) == []


@pytest.mark.parametrize("values_file", VALUE_FILES)
def test_yamllint_rendered_manifests(values_file):
    assert yamllint(chartlib.render_text(values_file), text=True) == []


def test_yamllint_catches_duplicate_keys():
    assert any("key-duplicates" in p for p in yamllint("a: 1\na: 2\n", text=True))
