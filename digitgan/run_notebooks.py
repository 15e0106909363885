"""Execute the study's notebooks headless, in order, with papermill; print each one's wall time.

    python -m digitgan.run_notebooks                 # 01-06 at full size, outputs kept in notebooks/
    python -m digitgan.run_notebooks 03 04 --retrain-gan

An executed notebook replaces the one in ``notebooks/`` only when it ran to the end; a failed
run is kept as ``notebooks/failed/<name>`` with the failing cell, and the command stops.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from digitgan import config, utils

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


class Stopped(KeyboardInterrupt):
    """SIGTERM (or SIGINT) arrived while a notebook ran."""


def _stop(signum, frame):
    raise Stopped(f"stopped by {signal.Signals(signum).name}")


@contextmanager
def _stop_on_signals():
    """Turn SIGTERM and SIGINT into :class:`Stopped` in the main thread, so the clean-up below runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def record_paths(notebook: Path, source: Path, final: Path) -> None:
    """Papermill records the absolute input and (temporary) output paths in the notebook's metadata: record
    the source and the final place instead, relative to the repository, so that a committed notebook names
    no folder of the machine that ran it."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    if "papermill" in nb.metadata:
        nb.metadata.papermill.input_path = config.shown(source)
        nb.metadata.papermill.output_path = config.shown(final)
    nbformat.write(nb, notebook)


def execute(
    name: str,
    parameters: dict | None = None,
    output_dir: Path | None = None,
    notebooks_dir: Path = config.NOTEBOOKS_DIR,
) -> float:
    """Run one notebook with papermill; returns its wall time in seconds.

    The notebook is written to ``<output_dir>/.executing/`` while it runs and moved into ``output_dir``
    only once it ran to the end. On an error, SIGTERM or SIGINT, papermill stops the kernel, the partial
    notebook (with its last outputs) goes to ``<output_dir>/failed/`` with a message, and ``.executing/``
    is removed.
    """
    import papermill as pm

    source = Path(notebooks_dir) / name
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist.")
    final = Path(output_dir or notebooks_dir) / name
    executing = final.parent / EXECUTING
    partial = executing / name
    utils.writable_folder(executing)
    start = time.perf_counter()
    try:
        with _stop_on_signals():
            pm.execute_notebook(
                str(source),
                str(partial),
                parameters=parameters or {},
                kernel_name="python3",
                cwd=str(Path(notebooks_dir)),
                progress_bar=False,
                log_output=True,
            )
    except BaseException as exc:
        failed = final.parent / FAILED / name
        utils.writable_folder(failed.parent)
        shutil.copyfile(partial if partial.exists() else source, failed)
        why = str(exc) if isinstance(exc, Stopped) else f"failed ({type(exc).__name__})"
        print(f"{name} {why}; the partial notebook is {config.shown(failed)}", file=sys.stderr, flush=True)
        raise
    else:
        record_paths(partial, source, final)
        shutil.move(str(partial), final)
    finally:
        partial.unlink(missing_ok=True)
        with suppress(OSError):
            executing.rmdir()  # only if empty: another runner may be using it
    return time.perf_counter() - start


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
