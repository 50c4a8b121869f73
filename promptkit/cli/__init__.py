"""The promptkit command line: typer commands that parse, call the API and render."""
