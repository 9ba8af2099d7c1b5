"""The fuzz targets' committed corpus replays cleanly through the plain build (scripts/fuzz.sh runs
libFuzzer itself): an input that once broke a reader stays a regression test."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import BIN_DIR, ROOT

CORPUS = ROOT / "Tests" / "Fuzz" / "corpus"


@pytest.mark.parametrize("target", sorted(path.name for path in CORPUS.iterdir()))
def test_corpus_replays(target):
    inputs = sorted(str(path) for path in (CORPUS / target).iterdir())
    assert inputs
    result = subprocess.run([str(BIN_DIR / "SkalarFuzz"), *inputs], env={**os.environ, "FUZZ_TARGET": target},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert f"replayed {len(inputs)} input(s) through {target}" in result.stdout
