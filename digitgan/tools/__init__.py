"""Tooling around the study: the notebook runner, the README tables and HTML export, and make verify. Nothing in
the core or the extensions imports these."""

import digitgan.extensions  # noqa: F401 - registers notebooks 07-11's full-size parameters (config.FULL_SIZE)
