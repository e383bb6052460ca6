"""mypy over the package, with the configuration in pyproject.toml: strict where stages meet
(records, errors, URL and site identity, inputs, query language, HTML helpers, fusion, scoring,
the prospect builder and the outreach side), the rest checked without requiring annotations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_mypy_passes(tmp_path: Path) -> None:
    try:
        import mypy  # noqa: F401
    except ImportError:
        raise AssertionError("mypy is not installed: pip install -e '.[test]'") from None
    r = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")], cwd=REPO,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success" in r.stdout
