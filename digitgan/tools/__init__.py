"""Tooling around the study: the notebook runner, the HTML report and export, and the speed measurements of the
benchmarks. Nothing in the core or the extensions imports these."""
