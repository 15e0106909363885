"""Execute the study's notebooks headless, in order, with papermill; print each one's wall time.

    python -m digitgan.tools.run_notebooks                 # 01-06 at full size, outputs kept in notebooks/
    python -m digitgan.tools.run_notebooks 03 04 --retrain-gan

This runner is the only writer of the study's record: the study's runs (no parameters, or the full-size ones) run
with ``DIGITGAN_STUDY_RUN=1`` in their kernel's environment (:mod:`digitgan.runs`), and an executed notebook
replaces the one in ``notebooks/`` only when it ran to the end; a run with other parameters is a scratch run,
kept in its run folder ``runs/<notebook>/<key>/``. A failed run is kept as ``failed/<name>`` beside where the
notebook was to go, with the failing cell, and the command stops. SIGTERM, SIGINT and SIGHUP stop it the same
way (exit code 130).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from digitgan import config, runs, utils

STUDY = [
    "01_cnn_baseline.ipynb",
    "02_dcgan.ipynb",
    "03_trial1_frozen.ipynb",
    "04_trial2_finetune.ipynb",
    "05_trial3_dense128.ipynb",
    "06_comparison.ipynb",
]
EXECUTING, FAILED = ".executing", "failed"  # beside the executed notebooks
EXTENSIONS = [
    "07_semi_supervised_gan.ipynb",
    "08_label_efficiency.ipynb",
]
FUTURE = [  # the report's future-work questions
    "09_longer_gan.ipynb",
    "10_data_and_optimizers.ipynb",
    "11_generated_digits.ipynb",
]
# Each execution's private working folder in <output folder>/.executing/: "<runner's pid>-<random token>".
WORKING_FOLDER = re.compile(r"^(\d+)-\w+$")
MAX_PID = 2**31 - 1  # no process id is larger (os.kill overflows): such a name is no runner's
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))
NOT_RUN_TAG = "digitgan-not-run"  # the note cell of a failed/ notebook whose run never reached its first cell


class Stopped(KeyboardInterrupt):
    """SIGTERM, SIGINT or SIGHUP arrived while a notebook ran."""


class Executed(float):
    """What :func:`execute` returns: the wall time in seconds (a float), with ``path``, where the executed notebook
    was written."""

    path: Path

    def __new__(cls, seconds: float, path: Path):
        value = super().__new__(cls, seconds)
        value.path = path
        return value


class _StopHandler:
    """The handler of :data:`STOP_SIGNALS`: raises :class:`Stopped` once, while armed; a signal that arrives while
    it is disarmed (the clean-up after a run) or after that first one is only recorded, so the clean-up finishes."""

    def __init__(self):
        self.armed = True
        self.received: int | None = None

    def __call__(self, signum, frame):
        first = self.received is None
        if first:
            self.received = signum
        if first and self.armed:
            self.armed = False
            raise Stopped(f"stopped by {signal.Signals(signum).name}")

    def disarm(self) -> None:
        self.armed = False


@contextmanager
def _stop_on_signals():
    """Turn SIGTERM, SIGINT and SIGHUP into :class:`Stopped` in the main thread, so the clean-up below runs."""
    handler = _StopHandler()
    if threading.current_thread() is not threading.main_thread():
        yield handler
        return
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield handler
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def stable_cell_ids(nb, name: str) -> None:
    """Name each cell by its notebook and place (``03-07``: notebook 03, cell 7), so that ids are unique across
    the notebooks (the HTML report joins them) and the same after every run."""
    prefix = name.split("_", 1)[0]
    for i, cell in enumerate(nb.cells):
        cell.id = f"{prefix}-{i:02d}"


def record_paths(notebook: Path, source: Path, final: Path) -> None:
    """Papermill records the absolute input and (temporary) output paths in the notebook's metadata: record
    the source and the final place instead, relative to the repository, so that a committed notebook names
    no folder of the machine that ran it. The cells get :func:`stable_cell_ids`, and the file is written as
    Jupyter writes it (``nbformat``), so opening and saving it in Jupyter changes nothing."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    if "papermill" in nb.metadata:
        nb.metadata.papermill.input_path = config.shown(source)
        nb.metadata.papermill.output_path = config.shown(final)
    stable_cell_ids(nb, final.name)
    nbformat.write(nb, notebook)


def output_folder(name: str, parameters: dict | None, notebooks_dir: Path | None = None) -> Path:
    """Where a run of ``name`` with ``parameters`` and no explicit output folder writes its executed notebook.

    Only the study's run (no parameters, or the full-size ones of :data:`digitgan.config.FULL_SIZE`; action flags
    such as ``RETRAIN`` do not count) replaces the committed notebook in ``notebooks_dir``. A run with other
    parameters goes to the folder :func:`digitgan.runs.start` gives a scratch run of those parameters,
    ``config.RUNS_DIR / <notebook> / <hash of its parameters>``.
    """
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
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(
            f"{name} has no parameter {', '.join(unknown)}; its parameters are {', '.join([*defaults, *flags])}. "
            "Fix the parameter's name."
        )
    full = {key: runs._normal(given.get(key, default)) for key, default in defaults.items()}  # as runs.start
    if all(full[key] == runs._normal(default) for key, default in defaults.items()):
        return notebooks_dir
    return config.RUNS_DIR / stem / runs.scratch_key(full)


def remove_dead_working_folders(executing: Path) -> list[Path]:
    """Delete the working folders (``<pid>-<token>``) that killed runners left in ``executing``; a live runner's
    folder, and anything not named like a runner's, is kept. Returns what was deleted."""
    removed = []
    for folder in Path(executing).iterdir() if Path(executing).is_dir() else ():
        match = WORKING_FOLDER.match(folder.name)
        pid = int(match[1]) if match else 0
        if 0 < pid <= MAX_PID and folder.is_dir() and not folder.is_symlink() and not utils.process_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _working_folder(executing: Path) -> Path:
    """A new private folder ``<executing>/<pid>-<random token>/`` for one execution."""
    for _ in range(5):
        utils.writable_folder(executing)
        try:
            return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=executing))
        except FileNotFoundError:  # another runner removed the (empty) folder just now: create it again
            continue
    raise OSError(f"Cannot create a working folder in {executing}: it keeps disappearing. Check what removes it.")


def _cells_started(partial: Path) -> bool | None:
    """Whether papermill started a cell of the partial notebook; None if it cannot be read."""
    import nbformat

    try:
        nb = nbformat.read(partial, as_version=4)
    except Exception:  # cut short while it was being saved
        return None
    # papermill marks cells "completed" when a run ends, even unrun ones; only a started cell has a start time
    return any(cell.metadata.get("papermill", {}).get("start_time") for cell in nb.cells)


def _write_atomically(path: Path, write) -> None:
    tmp = utils.temp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _keep_not_run(source: Path, failed: Path, why: str, when: str, parameters: dict) -> Path:
    """Keep the source in ``failed/`` with a note at the top saying it never ran; a text note if it is unreadable."""
    import nbformat

    note = (
        f"This notebook was NOT executed: the run of {source.name} {why} {when}, so there is no partial "
        f"notebook. What follows is the unexecuted source ({config.shown(source)}, parameters "
        f"{parameters or {}}), not a result. See the runner's error message, fix the cause and run it again."
    )
    try:
        nb = nbformat.read(source, as_version=4)
    except Exception as exc:
        text = failed.with_name(f"{failed.stem}.not-run.txt")
        utils.atomic_write_text(text, f"{note}\n(The source could not be read as a notebook: {exc})\n")
        return text
    cell = nbformat.v4.new_markdown_cell(f"**{note}**")
    cell.metadata["tags"] = [NOT_RUN_TAG]
    nb.cells.insert(0, cell)
    nb.metadata["digitgan"] = {"not_run": True, "reason": f"{why} {when}"}
    _write_atomically(failed, lambda tmp: nbformat.write(nb, tmp))
    return failed


def _describe(exc: BaseException) -> str:
    if hasattr(exc, "ename") and hasattr(exc, "evalue"):  # papermill's error of a cell
        return f"{type(exc).__name__}: {exc.ename}: {exc.evalue} in cell [{getattr(exc, 'exec_count', '?')}]"
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__


def _keep_failed(name, source, partial, final, exc, parameters) -> None:
    """Keep what a failed or stopped run left in ``<final folder>/failed/`` and say so on stderr."""
    failed = final.parent / FAILED / name
    utils.writable_folder(failed.parent)
    stopped = isinstance(exc, Stopped)
    why = str(exc) if stopped else f"failed ({_describe(exc)})"
    started = _cells_started(partial) if partial is not None and partial.exists() else False
    if started:
        _write_atomically(failed, lambda tmp: shutil.copyfile(partial, tmp))
        todo = "run it again to redo it" if stopped else "its failing cell shows the error: fix it and run it again"
        message = f"{name} {why}; the partial notebook is {config.shown(failed)} ({todo})"
    else:
        when = (
            "before its first cell ran"
            if started is False
            else "while its partial notebook was being saved (what was saved cannot be read)"
        )
        kept = _keep_not_run(source, failed, why, when, parameters)
        nothing = ": nothing was executed" if started is False else ""
        message = (
            f"{name} {why} {when}{nothing}. {config.shown(kept)} holds the unexecuted source, marked as not run; "
            "fix the cause and run it again"
        )
    print(message, file=sys.stderr, flush=True)


def execute(
    name: str,
    parameters: dict | None = None,
    output_dir: Path | None = None,
    notebooks_dir: Path | None = None,
) -> Executed:
    """Run one notebook with papermill; returns its wall time in seconds (an :class:`Executed` float whose
    ``path`` is the executed notebook).

    Without ``output_dir`` the executed notebook replaces ``notebooks_dir/<name>`` (default ``notebooks/``) only
    when this is the study's run; with other parameters it goes to their run folder (:func:`output_folder`) and
    the committed notebook is untouched. An explicit ``output_dir`` is always used.

    Each execution writes into its own working folder, ``<output folder>/.executing/<pid>-<token>/``, so that
    concurrent runs never share a file; the notebook is moved into the output folder only once it ran to the
    end, and the working folder is removed however the run ends (folders that killed runners left are removed
    by the next run). On an error, SIGTERM, SIGINT or SIGHUP, papermill stops the kernel and the partial
    notebook (with its last outputs) goes to ``<output folder>/failed/`` with a message; a run that ended before
    its first cell ran leaves the source there, marked as not run.
    """
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
    executing = folder / EXECUTING
    study_flag = os.environ.get(runs.STUDY_RUN_ENV)
    if output_dir is None:  # the study's run writes the study's record; a scratch run never does
        os.environ[runs.STUDY_RUN_ENV] = "1" if folder == notebooks_dir else "0"
    start = time.perf_counter()
    working, begun = None, False
    with _stop_on_signals() as stop:
        try:
            utils.writable_folder(executing)
            remove_dead_working_folders(executing)
            working = _working_folder(executing)
            partial = working / name
            begun = True
            import papermill as pm

            pm.execute_notebook(
                str(source),
                str(partial),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(notebooks_dir),
                progress_bar=False,
                log_output=True,
            )
        except BaseException as exc:
            stop.disarm()
            if begun or isinstance(exc, Stopped):  # not a folder that cannot be created: that error says it all
                try:
                    _keep_failed(name, source, working / name if working else None, final, exc, parameters)
                except Exception as keep_exc:  # the run's own error is the one to raise
                    print(
                        f"{name} {_describe(exc)}, and what it left could not be kept in "
                        f"{config.shown(final.parent / FAILED)} ({_describe(keep_exc)}): check that folder.",
                        file=sys.stderr,
                        flush=True,
                    )
            raise
        else:
            stop.disarm()
            record_paths(partial, source, final)
            os.replace(partial, final)
        finally:
            stop.disarm()
            if study_flag is None:
                os.environ.pop(runs.STUDY_RUN_ENV, None)
            else:
                os.environ[runs.STUDY_RUN_ENV] = study_flag
            if working is not None:
                shutil.rmtree(working, ignore_errors=True)
            with suppress(OSError):
                executing.rmdir()  # only if empty: another runner may be using it
    if stop.received is not None:  # arrived while the finished notebook was being saved
        why = f"stopped by {signal.Signals(stop.received).name}"
        print(f"{name} ran to the end and is {config.shown(final)}; {why}, so the run stops here.", file=sys.stderr)
        raise Stopped(why)
    print(f"{name}: the executed notebook is {config.shown(final)}", flush=True)
    return Executed(time.perf_counter() - start, final)


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
    # papermill logs every cell's output at INFO: the console then shows the training as it runs
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    names = EXTENSIONS if args.extensions else FUTURE if args.future else STUDY
    if args.only:
        names = [n for n in STUDY + EXTENSIONS + FUTURE if any(n.startswith(o) or n == o for o in args.only)]
    if "02_dcgan.ipynb" in names:
        if config.GENERATOR_PATH.is_file() and not args.retrain_gan:
            print(
                f"The DCGAN's final weights exist in {config.CHECKPOINT_DIR}: 02_dcgan.ipynb reuses them "
                "(RETRAIN_GAN=1 to train the GAN again)."
            )
    times = {}
    for name in names:
        params = {"RETRAIN": True} if name == "02_dcgan.ipynb" and args.retrain_gan else {}
        print(f"== {name} ...", flush=True)
        try:
            times[name] = execute(name, params)
        except Stopped:
            return 130
        print(f"== {name}: {times[name]:.0f} s", flush=True)
    print("\nWall time per notebook:")
    for name, seconds in times.items():
        print(f"  {name:32s} {seconds:7.0f} s")
    print(f"  {'total':32s} {sum(times.values()):7.0f} s ({sum(times.values()) / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
