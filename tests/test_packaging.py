"""A normal (non-editable) install works: the wheel carries the package data (the page-type
model, footprints, the web world's certificate) and the installed CLI runs from anywhere.

The wheel is built offline (no build isolation) and installed with `--no-deps` into a fresh
virtualenv. The fresh venv sees the already-installed dependencies through a .pth line naming
the dev venv's site-packages; Python does not run .pth files found in a directory added that
way, so the dev venv's editable finder (which maps `discover` to a checkout) stays inert and
`import discover` can only come from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORLD = REPO / "fixtures" / "web"

pytestmark = pytest.mark.slow


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, src / name)
    # a copy, so the build's egg-info/build dirs never land in the checkout
    shutil.copytree(REPO / "discover", src / "discover", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("DISCOVER_")}
    r = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
              "-q", "-w", str(tmp / "dist"), str(src)], cwd=tmp, env=env)
    assert r.returncode == 0, r.stderr
    (wheel,) = (tmp / "dist").glob("discover_prospects-*.whl")

    venv = tmp / "venv"
    r = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp, env=env)
    assert r.returncode == 0, r.stderr
    py = venv / "bin" / "python"
    r = _run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
              str(wheel)], cwd=tmp, env=env)
    assert r.returncode == 0, r.stderr
    purelib = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=tmp, env=env).stdout.strip())
    (purelib / "_dev_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")

    elsewhere = tmp / "elsewhere"   # a cwd outside the repository
    elsewhere.mkdir()
    env.update(HOME=str(tmp / "home"), XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"))
    return venv, env, elsewhere


def test_discover_imports_from_the_installed_wheel(installed):
    venv, env, cwd = installed
    r = _run([str(venv / "bin" / "python"), "-c",
              "import discover, discover.pages.classify as c; print(discover.__file__); print(c.MODEL_PATH)"],
             cwd=cwd, env=env)
    assert r.returncode == 0, r.stderr
    pkg, model = (Path(line) for line in r.stdout.splitlines())
    assert pkg.is_relative_to(venv) and not pkg.is_relative_to(REPO), pkg
    assert model.is_relative_to(venv) and model.is_file(), model


def test_installed_cli_reads_a_page(installed):
    venv, env, cwd = installed
    r = _run([str(venv / "bin" / "discover"), "page", "http://bradforddogwalkers.co.uk/forum/",
              "--web", str(WORLD), "--json"], cwd=cwd, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["type"] == "forum"


def test_installed_cli_runs_a_discovery(installed):
    venv, env, cwd = installed
    r = _run([str(venv / "bin" / "discover"), "run", "dog grooming", "--geo", "Leeds, West Yorkshire, GB",
              "--web", str(WORLD), "--no-expand", "--json"], cwd=cwd, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    prospects = json.loads(r.stdout)
    assert len(prospects) >= 5
    assert {"url", "domain", "type", "score"} <= set(prospects[0])


def test_installed_wheel_carries_the_review_page(installed):
    venv, env, cwd = installed
    r = _run([str(venv / "bin" / "python"), "-c",
              "import importlib.resources as r; f = r.files('discover.review'); "
              "print(all(f.joinpath(n).is_file() for n in "
              "('templates/review.html', 'static/review.js', 'static/review.css', 'static/favicon.svg')))"],
             cwd=cwd, env=env)
    assert r.returncode == 0 and r.stdout.strip() == "True", r.stderr
