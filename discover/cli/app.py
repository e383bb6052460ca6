"""The Typer application object; command modules attach to it (see discover/cli/__init__.py)."""

import typer

app = typer.Typer(
    name="discover",
    help="Find backlink prospects: footprint searches through a real browser, page analysis, "
         "explained ranking, CRM-ready shortlists.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # tokens and passwords may be in scope
    add_completion=False,
    rich_markup_mode="rich",
)
