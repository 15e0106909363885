"""Tooling around the study: the notebook runner, the README tables and HTML export, and make verify. Nothing in
the core or the extensions imports these."""
