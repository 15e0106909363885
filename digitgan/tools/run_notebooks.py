"""``make reproduce``: the study's notebooks run with papermill; only the full-size run writes the record."""

import argparse
import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path
from unittest import mock

import nbformat

from digitgan import config, fileio, runs

_ALL = [f"{stem}.ipynb" for stem in sorted(config.FULL_SIZE)]
STUDY, EXTENSIONS, FUTURE = _ALL[:6], _ALL[6:8], _ALL[8:]
FAILED = "failed"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop signal arrived while a notebook ran."""


def stop(signum, frame):
    """The first stop signal raises :class:`Stopped`; later ones are ignored, so the clean-up finishes."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Stopped(f"stopped by {signal.Signals(signum).name}")


def output_folder(name: str, parameters: dict | None, notebooks_dir: Path | None = None) -> Path:
    """``notebooks_dir`` for the study's parameters (action flags aside), else their run folder under ``runs/``."""
    notebooks_dir, stem = Path(notebooks_dir or config.NOTEBOOKS_DIR), name.removesuffix(".ipynb")
    flags = config.ACTION_FLAGS.get(stem, ())
    if not (given := {k: v for k, v in (parameters or {}).items() if k not in flags}):
        return notebooks_dir
    if stem not in config.FULL_SIZE:
        raise ValueError(f"{name} is not a study notebook, so parameters have no run folder: pass output_dir=")
    if unknown := sorted(set(given) - set(defaults := config.FULL_SIZE[stem])):
        raise ValueError(f"{name} has no parameter {', '.join(unknown)}; its parameters are {[*defaults, *flags]}")
    full = runs._normal({**defaults, **given})
    return notebooks_dir if full == runs._normal(defaults) else config.RUNS_DIR / stem / runs.scratch_key(full)


def execute(name: str, parameters=None, output_dir: Path | None = None, notebooks_dir: Path | None = None) -> Path:
    """Run one notebook; the executed notebook, in ``output_dir`` or where :func:`output_folder` says."""
    import papermill as pm

    notebooks_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR)
    if not (source := notebooks_dir / name).is_file():
        raise FileNotFoundError(f"{source} does not exist: check the notebook's name and notebooks_dir.")
    folder = Path(output_dir) if output_dir is not None else output_folder(name, parameters, notebooks_dir)
    final, partial = folder / name, fileio.temp_path(folder / name)  # this process's own: a dead runner's goes below
    if output_dir is None and folder != notebooks_dir:
        print(f"{name}: a scratch run; the executed notebook goes to {config.shown(final)}", flush=True)
    fileio.writable_folder(folder)
    fileio.remove_stale_temp_files(folder)
    # the study's run writes the study's record (in its kernel's environment); a scratch run never does
    study_run = {} if output_dir is not None else {runs.STUDY_RUN_ENV: "1" if folder == notebooks_dir else "0"}
    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        with mock.patch.dict(os.environ, study_run):
            options = {"kernel_name": "python3", "progress_bar": False, "log_output": True}  # each cell's output logged
            pm.execute_notebook(source, partial, parameters, cwd=notebooks_dir, **options)
        nb = nbformat.read(partial, as_version=4)  # papermill's paths relative to the repository, cell ids "03-07"
        nb.metadata.papermill.update(input_path=config.shown(source), output_path=config.shown(final))
        for i, cell in enumerate(nb.cells):
            cell.id = f"{final.name[:2]}-{i:02d}"
        nbformat.write(nb, partial)
        os.replace(partial, final)
    except BaseException as exc:
        why = str(exc) if isinstance(exc, Stopped) else f"failed ({type(exc).__name__}: {str(exc).strip()[:300]})"
        started = False  # only a started cell has a start time
        with contextlib.suppress(Exception):  # absent, or cut short while it was saved
            started = any(c.metadata.get("papermill", {}).get("start_time") for c in nbformat.read(partial, 4).cells)
        kept = " before its first cell ran: nothing was executed"
        if started:
            (failed := folder / FAILED / name).parent.mkdir(exist_ok=True)
            os.replace(partial, failed)
            kept = f"; the partial notebook is {config.shown(failed)}"
        print(f"{name} {why}{kept}", file=sys.stderr, flush=True)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        partial.unlink(missing_ok=True)
    return final


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="notebook numbers or names (default: 01-06)")
    parser.add_argument("--extensions", action="store_true", help="run notebooks 07-08")
    parser.add_argument("--future", action="store_true", help="run notebooks 09-11")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    names = EXTENSIONS if args.extensions else FUTURE if args.future else STUDY
    names = [n for n in _ALL if any(n.startswith(o) for o in args.only)] if args.only else names
    for name in names:
        print(f"== {name} ...", flush=True)
        start, retrain = time.perf_counter(), name == "02_dcgan.ipynb" and os.environ.get("RETRAIN_GAN") == "1"
        try:
            path = execute(name, {"RETRAIN": True} if retrain else {})
        except KeyboardInterrupt:
            return 130
        print(f"== {name}: {config.shown(path)}, {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
