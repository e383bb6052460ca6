"""The README is a contract: its two opening commands are what CI runs, and every command it
shows exists with the flags it uses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer.main

from discover.cli.app import app

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, re.S)


def test_readme_opens_with_install_and_test_commands():
    first, second = (b.strip() for b in _blocks()[:2])
    assert "\n" not in first and "\n" not in second          # exactly one command each
    assert first.startswith("./install.sh") and "discover run" in first and "--out" in first
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    install, test = second.split(" && ")
    assert install in ci and test in ci


def _command(path: list[str]):
    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return cmd


def test_every_readme_example_names_a_real_command_and_real_flags():
    examples = [ln.split("#")[0].strip() for b in _blocks()[2:] for ln in b.splitlines()]
    examples = [ln for ln in examples if ln.startswith("discover ")]
    assert len(examples) >= 15
    for line in examples:
        words = shlex.split(line)[1:]
        path = [words[0]]
        group = _command(path)
        if hasattr(group, "commands") and len(words) > 1 and words[1] in group.commands:
            path.append(words[1])
        cmd = _command(path)
        known = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}
        for w in words:
            if w.startswith("--"):
                assert w.split("=")[0] in known, (line, w)
