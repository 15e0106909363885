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
import sys
import time
from pathlib import Path

from digitgan import config

STUDY = [
    "01_cnn_baseline.ipynb",
    "02_dcgan.ipynb",
    "03_trial1_frozen.ipynb",
    "04_trial2_finetune.ipynb",
    "05_trial3_dense128.ipynb",
    "06_comparison.ipynb",
]
EXTENSIONS = [
    "07_semi_supervised_gan.ipynb",
    "08_label_efficiency.ipynb",
]


def execute(
    name: str,
    parameters: dict | None = None,
    output_dir: Path | None = None,
    notebooks_dir: Path = config.NOTEBOOKS_DIR,
) -> float:
    """Run one notebook with papermill; returns its wall time in seconds."""
    import papermill as pm

    source = Path(notebooks_dir) / name
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist.")
    final = Path(output_dir or notebooks_dir) / name
    partial = final.parent / ".executing" / name
    partial.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(source),
            str(partial),
            parameters=parameters or {},
            kernel_name="python3",
            cwd=str(Path(notebooks_dir)),
            progress_bar=False,
            log_output=True,
        )
    except BaseException:
        failed = final.parent / "failed" / name
        failed.parent.mkdir(parents=True, exist_ok=True)
        if partial.exists():
            shutil.move(str(partial), failed)
            print(f"{name} failed; the executed notebook with the error is {failed}", file=sys.stderr)
        raise
    shutil.move(str(partial), final)
    shutil.rmtree(partial.parent, ignore_errors=True)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="notebook numbers or names (default: 01-06)")
    parser.add_argument("--extensions", action="store_true", help="run the extension notebooks (07-08)")
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
    names = EXTENSIONS if args.extensions else STUDY
    if args.only:
        names = [n for n in STUDY + EXTENSIONS if any(n.startswith(o) or n == o for o in args.only)]
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
        times[name] = execute(name, params)
        print(f"== {name}: {times[name]:.0f} s", flush=True)
    print("\nWall time per notebook:")
    for name, seconds in times.items():
        print(f"  {name:32s} {seconds:7.0f} s")
    print(f"  {'total':32s} {sum(times.values()):7.0f} s ({sum(times.values()) / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
