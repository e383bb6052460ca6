"""CLI commands (module owned by its stage; registered on discover.cli.app.app)."""
