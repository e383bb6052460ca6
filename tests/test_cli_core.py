"""The CLI as a user meets it: --help everywhere, clear one-line errors, meaningful exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from discover.cli.app import app
import typer


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "discover", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def _commands(group, prefix=()):
    import typer.main

    cmd = typer.main.get_command(group) if not hasattr(group, "commands") else group
    for name, sub in getattr(cmd, "commands", {}).items():
        yield prefix + (name,)
        if hasattr(sub, "commands"):
            yield from _commands(sub, prefix + (name,))


def test_every_command_has_help():
    names = list(_commands(app))
    assert ("doctor",) in names and ("serve",) in names
    for path in names:
        r = run_cli(*path, "--help")
        assert r.returncode == 0, (path, r.stderr)
        assert "Usage" in r.stdout


def test_doctor_json_reports_browser():
    r = run_cli("doctor", "--json")
    data = json.loads(r.stdout)
    browser = next(c for c in data["checks"] if c["check"] == "browser")
    assert browser["status"] == "ok" and "Chrom" in browser["detail"]
    assert r.returncode == 0
    # The optional stacks say whether they are there (the test extras install both).
    optional = {c["check"]: c for c in data["checks"] if "optional" in c["check"]}
    assert optional["review web app (optional)"]["status"] == "ok"
    assert optional["distributed executor (optional)"]["status"] == "ok"
    assert "celery" in optional["distributed executor (optional)"]["detail"]


def test_doctor_reports_missing_browser(tmp_path):
    r = run_cli("doctor", "--json", env={"DISCOVER_BROWSER": str(tmp_path / "none")})
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert not data["ok"]
    assert "apt-get install" in next(c for c in data["checks"] if c["check"] == "browser")["detail"]


def test_bad_config_is_one_line_error(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("pages = 'lots'\n")
    r = run_cli("doctor", env={"DISCOVER_CONFIG": str(cfg)})
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_gen_web_refuses_non_empty_folder(tmp_path):
    (tmp_path / "x").write_text("x")
    r = run_cli("gen-web", "--out", str(tmp_path), "--sites", "3")
    assert r.returncode == 2 and "not empty" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args, needle", [
    (["run", "--top", "0", "x"], "--top"),
    (["nosuchcmd"], "No such command"),
    (["doctor", "--bogus"], "No such option"),
])
def test_usage_errors_are_one_line(args, needle):
    r = run_cli(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and needle in lines[0]
    assert len(lines) <= 2 and "╭" not in r.stderr


def test_doctor_checks_the_database(tmp_path):
    r = run_cli("doctor", "--json", "--db", str(tmp_path))
    assert r.returncode == 1
    db = next(c for c in json.loads(r.stdout)["checks"] if c["check"] == "database")
    assert db["status"] == "error" and "is a directory" in db["detail"]
    r = run_cli("doctor", "--json", "--db", "postgresql://nobody@127.0.0.1:1/x")
    db = next(c for c in json.loads(r.stdout)["checks"] if c["check"] == "database")
    assert r.returncode == 1 and db["status"] == "error"


def test_run_checks_about_and_out_before_searching(tmp_path):
    r = run_cli("run", "dog grooming", "--about", str(tmp_path / "nope.txt"))
    assert r.returncode == 2 and "--about" in r.stderr
    r = run_cli("run", "dog grooming", "--out", str(tmp_path))
    assert r.returncode == 2 and "--out" in r.stderr


def test_version_and_completion():
    from discover import __version__

    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"discover {__version__}"
    comp = run_cli("--show-completion", "bash", env={"SHELL": "/bin/bash"})
    assert comp.returncode == 0 and "complete" in comp.stdout and "discover" in comp.stdout


def test_a_named_config_file_that_does_not_exist_is_an_error(tmp_path):
    r = run_cli("plan", "dog grooming", env={"DISCOVER_CONFIG": str(tmp_path / "nope.toml"),
                                             "XDG_CONFIG_HOME": str(tmp_path)})
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: config file {tmp_path / 'nope.toml'} does not exist")
    # the default location missing is fine: no config is a normal state
    ok = run_cli("plan", "dog grooming", "--json", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert ok.returncode == 0, ok.stderr


def test_piping_into_head_is_quiet():
    """`discover plan ... | head -1`: the reader leaving early is not an error."""
    import shlex
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCOVER_")}
    for args in (["plan", "dog grooming", "--geo", "Leeds, West Yorkshire, GB"],
                 ["plan", "dog grooming", "--json"]):
        cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "discover", *args])
        r = subprocess.run(["bash", "-c", f"set -o pipefail; {cmd} | head -c 20 >/dev/null; echo ${{PIPESTATUS[0]}}"],
                           capture_output=True, text=True, env=env, timeout=60)
        assert r.stdout.strip() == "0", (args, r.stdout, r.stderr)
        assert r.stderr == "", r.stderr


def test_tables_fit_80_columns_without_breaking_identifiers():
    from discover.cli.common import print_ranked, print_table
    import contextlib
    import io

    rows = [(i, f"a-very-long-domain-name-number-{i}.example.co.uk", "guest_post", "0.91", "same_city",
             f"editor.in.chief.{i}@a-very-long-domain-name-number-{i}.example.co.uk", "topic 0.9 (x, y) " * 8)
            for i in range(1, 4)]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print_ranked("t", rows)
        print_table("t", ["#", "domain", "type", "why"], [r[:3] + (r[6],) for r in rows])
    lines = buf.getvalue().splitlines()
    assert lines and max(len(ln) for ln in lines) <= 80, max(lines, key=len)
    text = buf.getvalue()
    for r in rows:
        assert r[1] in text and r[5] in text    # whole, on one line
    wide = io.StringIO()
    with contextlib.redirect_stdout(wide):
        print_ranked("t", rows, wide=True)
    assert rows[0][6].strip() in wide.getvalue()
