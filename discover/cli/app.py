"""The Typer application object; command modules attach to it (see discover/cli/__init__.py)."""

import typer

app = typer.Typer(
    name="discover",
    help="Find backlink prospects: footprint searches through a real browser, page analysis, "
         "explained ranking, CRM-ready shortlists.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # tokens and passwords may be in scope
    add_completion=True,    # --install-completion / --show-completion for bash, zsh, fish
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        from discover import __version__
        typer.echo(f"discover {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Find backlink prospects: footprint searches through a real browser, page analysis,
    explained ranking, CRM-ready shortlists."""
