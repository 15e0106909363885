"""Execute the study's notebooks headless with papermill, in order; print each one's wall time.

    python -m digitgan.tools.run_notebooks                 # 01-06 at full size, outputs kept in notebooks/
    python -m digitgan.tools.run_notebooks 03 04 --retrain-gan

The only writer of the study's record: a study run (no parameters, or the full-size ones) runs with
``DIGITGAN_STUDY_RUN=1`` in its kernel's environment (:mod:`digitgan.runs`) and replaces the notebook in
``notebooks/`` only once it ran to the end; a run with other parameters is a scratch run, its executed notebook kept
in its run folder ``runs/<notebook>/<key>/``. Each execution writes a private temporary file beside its output, so
concurrent runs never share one. A run that fails or is stopped (SIGINT, SIGTERM, SIGHUP: exit code 130) leaves
what it executed in ``failed/<name>`` beside where the notebook was to go, and the command stops.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from unittest import mock

from digitgan import config, fileio, runs

_ALL = [f"{stem}.ipynb" for stem in sorted(config.FULL_SIZE)]
STUDY, EXTENSIONS, FUTURE = _ALL[:6], _ALL[6:8], _ALL[8:]  # 01-06, 07-08, and 09-11 (the report's questions)
FAILED = "failed"  # beside the executed notebooks
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PAPERMILL = {"kernel_name": "python3", "progress_bar": False, "log_output": True}  # each cell's output is logged


class Stopped(KeyboardInterrupt):
    """A stop signal arrived while a notebook ran."""


class Executed(float):
    """What :func:`execute` returns: the wall time in seconds, with ``path``, the executed notebook."""

    def __new__(cls, seconds: float, path: Path):
        value = super().__new__(cls, seconds)
        value.path = path
        return value


def stop(signum, frame):
    """The first stop signal raises :class:`Stopped`; later ones are ignored, so the clean-up finishes."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Stopped(f"stopped by {signal.Signals(signum).name}")


def record_paths(notebook: Path, source: Path, final: Path) -> None:
    """Name the source and final place in papermill's metadata relative to the repository (no folder of the machine
    that ran it), and each cell by its notebook and place (``03-07``: ids unique across notebooks, the same after
    every run); written as Jupyter writes it, so opening and saving it in Jupyter changes nothing."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    if "papermill" in nb.metadata:
        nb.metadata.papermill.input_path = config.shown(source)
        nb.metadata.papermill.output_path = config.shown(final)
    for i, cell in enumerate(nb.cells):
        cell.id = f"{final.name[:2]}-{i:02d}"
    nbformat.write(nb, notebook)


def output_folder(name: str, parameters: dict | None, notebooks_dir: Path | None = None) -> Path:
    """Where a run of ``name`` with ``parameters`` writes its executed notebook: ``notebooks_dir`` for the study's run
    (no parameters, or :data:`digitgan.config.FULL_SIZE`'s; action flags such as ``RETRAIN`` do not count), else
    the folder :func:`digitgan.runs.start` gives a scratch run of those parameters."""
    notebooks_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR)
    stem = name.removesuffix(".ipynb")
    flags = config.ACTION_FLAGS.get(stem, ())
    given = {key: value for key, value in (parameters or {}).items() if key not in flags}
    if not given:
        return notebooks_dir
    if stem not in config.FULL_SIZE:
        raise ValueError(
            f"{name} is not one of the study's notebooks (digitgan.config.FULL_SIZE), so a run with parameters "
            f"{sorted(given)} has no run folder and would overwrite {config.shown(notebooks_dir / name)}: pass "
            "output_dir=<a folder for the executed notebook>."
        )
    defaults = config.FULL_SIZE[stem]
    if unknown := sorted(set(given) - set(defaults)):
        raise ValueError(
            f"{name} has no parameter {', '.join(unknown)}; its parameters are {', '.join([*defaults, *flags])}. "
            "Fix the parameter's name."
        )
    full = {key: runs._normal(given.get(key, default)) for key, default in defaults.items()}
    if all(full[key] == runs._normal(default) for key, default in defaults.items()):
        return notebooks_dir
    return config.RUNS_DIR / stem / runs.scratch_key(full)


def execute(name: str, parameters=None, output_dir: Path | None = None, notebooks_dir: Path | None = None) -> Executed:
    """Run one notebook with papermill; its wall time in seconds (an :class:`Executed` whose ``path`` is the executed
    notebook). Without ``output_dir`` the study's run replaces ``notebooks_dir/<name>`` and any other run goes to
    its run folder (:func:`output_folder`); an explicit ``output_dir`` is always used."""
    import papermill as pm

    notebooks_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR)
    source = notebooks_dir / name
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist: check the notebook's name and notebooks_dir.")
    parameters = dict(parameters or {})
    folder = Path(output_dir) if output_dir is not None else output_folder(name, parameters, notebooks_dir)
    final = folder / name
    if output_dir is None and folder != notebooks_dir:
        print(
            f"{name}: parameters other than the full-size ones; the executed notebook goes to "
            f"{config.shown(final)} and {config.shown(source)} is left as it is.",
            flush=True,
        )
    fileio.writable_folder(folder)
    fileio.remove_stale_temp_files(folder)  # what killed runners left
    temporary = fileio.temp_path(final)  # named with this process's id, so a dead runner's is removed above
    partial = temporary.with_name(f"{temporary.stem}-{time.time_ns()}.ipynb")
    # the study's run writes the study's record (in its kernel's environment); a scratch run never does
    study_run = {} if output_dir is not None else {runs.STUDY_RUN_ENV: "1" if folder == notebooks_dir else "0"}
    start = time.perf_counter()
    main_thread = threading.current_thread() is threading.main_thread()  # only it may handle signals
    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS} if main_thread else {}
    try:
        with mock.patch.dict(os.environ, study_run):
            pm.execute_notebook(str(source), str(partial), parameters=parameters, cwd=str(notebooks_dir), **_PAPERMILL)
        record_paths(partial, source, final)
        os.replace(partial, final)
    except BaseException as exc:
        _keep_failed(name, partial, final, exc)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        partial.unlink(missing_ok=True)
    print(f"{name}: the executed notebook is {config.shown(final)}", flush=True)
    return Executed(time.perf_counter() - start, final)


def _keep_failed(name: str, partial: Path, final: Path, exc: BaseException) -> None:
    """Move what a failed or stopped run executed to ``failed/`` and say so on stderr. Papermill writes the notebook
    before the first cell and marks every cell "completed" when a run ends: only a started cell has a start time."""
    import nbformat

    why = str(exc) if isinstance(exc, Stopped) else f"failed ({type(exc).__name__}: {str(exc).strip()[:300]})"
    failed = final.parent / FAILED / name
    try:
        started = any(c.metadata.get("papermill", {}).get("start_time") for c in nbformat.read(partial, 4).cells)
    except Exception:  # absent, or cut short while it was saved
        started = False
    if started:
        failed.parent.mkdir(exist_ok=True)
        os.replace(partial, failed)
        print(f"{name} {why}; the partial notebook is {config.shown(failed)}", file=sys.stderr, flush=True)
    else:
        print(f"{name} {why} before its first cell ran: nothing was executed", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="notebook numbers or names (default: 01-06)")
    parser.add_argument("--extensions", action="store_true", help="run the extension notebooks (07-08)")
    parser.add_argument("--future", action="store_true", help="run the future-work notebooks (09-)")
    parser.add_argument(
        "--retrain-gan",
        action="store_true",
        default=os.environ.get("RETRAIN_GAN") == "1",
        help="train the DCGAN again even if its final weights exist (or RETRAIN_GAN=1)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # papermill logs each cell's output: live progress
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    names = EXTENSIONS if args.extensions else FUTURE if args.future else STUDY
    if args.only:
        names = [n for n in STUDY + EXTENSIONS + FUTURE if any(n.startswith(o) for o in args.only)]
    if "02_dcgan.ipynb" in names and config.GENERATOR_PATH.is_file() and not args.retrain_gan:
        print(
            f"The DCGAN's final weights exist in {config.CHECKPOINT_DIR}: 02_dcgan.ipynb reuses them "
            "(RETRAIN_GAN=1 to train the GAN again)."
        )
    times = {}
    for name in names:
        print(f"== {name} ...", flush=True)
        try:
            times[name] = execute(name, {"RETRAIN": True} if name == "02_dcgan.ipynb" and args.retrain_gan else {})
        except KeyboardInterrupt:
            return 130
        print(f"== {name}: {times[name]:.0f} s", flush=True)
    print("\nWall time per notebook:")
    for name, seconds in times.items():
        print(f"  {name:32s} {seconds:7.0f} s")
    print(f"  {'total':32s} {sum(times.values()):7.0f} s ({sum(times.values()) / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
