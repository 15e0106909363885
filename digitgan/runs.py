"""Where a notebook run writes: the study's record (its runner only), or ``runs/<notebook>/<key of its inputs>/``."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from pathlib import Path

from digitgan import checks, config, fileio, store, utils

STUDY_RUN_ENV = config.STUDY_RUN_ENV
_PARAMS_FILE = "params.json"
_AVAILABLE = {"SUBSET_SIZE": 60_000, "JUDGE_N_TRAIN": 60_000, "N_UNLABELLED": 60_000, "SMALL_N_TEST": 10_000}
# The notebook that makes each file a later notebook reads, and the parameters that must agree to read its scratch file.
_DATA = ("SUBSET_SIZE", "SEED")
_MAKERS = {
    config.DISCRIMINATOR_FILE: ("02_dcgan", _DATA),
    config.GENERATOR_FILE: ("02_dcgan", _DATA),
    config.JUDGE_FILE: ("02_dcgan", ("JUDGE_N_TRAIN", "JUDGE_EPOCHS", "SEED")),
    config.weights_file("cnn"): ("01_cnn_baseline", _DATA),
    **{config.weights_file(trial): (notebook, _DATA) for trial, (notebook, _) in config.TRIALS.items()},
}


def _normal(value):
    """The JSON form of a parameter, so papermill's copies compare equal."""
    return json.loads(fileio.dumps(value, sort_keys=True))


@functools.cache
def _code_digest(root: Path | None = None) -> str:
    """The SHA-256 of the package's Python source as this process first read it: part of every scratch run's key."""
    h = hashlib.sha256()
    root = Path(root or Path(__file__).resolve().parent)
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def scratch_key(params: dict) -> str:
    """A scratch run's folder name: the hash of its parameters and the package's source."""
    return store.key({"parameters": params, "code": _code_digest()})[:8]


class Run:
    """One notebook run: the study's, or a scratch run in the folder of the parameters in force at each access."""

    def __init__(self, notebook: str, namespace: dict):
        self.notebook, self._namespace, self._said = notebook, namespace, set()

    params = property(lambda self: _params(self.notebook, self._namespace))

    @property
    def changed(self) -> dict:
        full = config.FULL_SIZE[self.notebook]
        return {name: value for name, value in self.params.items() if value != _normal(full[name])}

    @property
    def folder(self) -> Path | None:  # None for the study's run
        if os.environ.get(STUDY_RUN_ENV) != "1":
            return config.RUNS_DIR / self.notebook / scratch_key(self.params)

    is_study = property(lambda self: self.folder is None)

    def _in(self, study: Path, name: str) -> Path:
        """Where the study's ``study`` lies in this run; a scratch run's folder gets its ``params.json`` first."""
        if (folder := self.folder) is None:
            return study
        if not (folder / _PARAMS_FILE).exists():  # its notebook, parameters, changes and code digest, written once
            record = {"notebook": self.notebook, "parameters": self.params, "changed": self.changed}
            record.update(code=_code_digest(), created=time.time())
            fileio.atomic_write_text(folder / _PARAMS_FILE, fileio.dumps(record, indent=1, sort_keys=True) + "\n")
        return folder / name

    figures_dir = property(lambda self: self._in(config.FIGURES_DIR, "figures"))
    checkpoint_dir = property(lambda self: self._in(config.CHECKPOINT_DIR, "checkpoints"))
    results_path = property(lambda self: self._in(config.RESULTS_PATH, "results.json"))

    def checkpoint(self, name: str) -> Path:
        return self.checkpoint_dir / name

    def show_fig(self, name: str, fig) -> None:
        """Save ``fig`` as figure ``name`` and show it (returns None: a cell ending with it shows the figure once)."""
        import matplotlib.pyplot as plt

        from digitgan.plots import save_fig

        save_fig(self.figures_dir / f"{name}.png", fig)
        plt.show()

    def log_dir(self, name: str) -> Path:
        """A new TensorBoard log folder for one training call, under ``runs/tensorboard/<notebook>/`` or the run's."""
        from digitgan.training import new_log_dir

        return new_log_dir(self._in(config.RUNS_DIR / "tensorboard" / self.notebook, "tensorboard"), name)

    def input(self, name: str, depends_on: tuple[str, ...] = ()) -> Path:
        """Its own checkpoint, else its maker's matching scratch run's, else the study's (``depends_on`` unchanged)."""
        own, study = self.checkpoint(name), config.CHECKPOINT_DIR / name
        if self.is_study or own.exists():
            return own
        maker, keys = _MAKERS.get(name, (None, ()))
        if maker not in (None, self.notebook) and (path := _matching_run(maker, self.params, name, keys)):
            why = f"the scratch run of {maker} with the same shared parameters"
        elif not any(p in self.changed for p in depends_on) and study.exists():
            path, why = study, "the study's committed file"
        else:
            return own
        if name not in self._said:
            self._said.add(name)
            print(f"Reading {name} from {why}: {config.shown(path)}")
        return path

    def save_weights(self, model, name: str) -> Path:
        """Save ``model``'s weights as ``name`` in this run's checkpoints (and the record's digest) and say where."""
        path = fileio.save_weights(model, self.checkpoint(name))
        store.record_committed_digest(path)
        print(f"weights saved to {config.shown(path)}")
        return path

    def save_results(self, key: str, metrics: dict, section: str | None = None) -> dict:
        out = fileio.save_results(key, {**metrics, "machine": utils.machine()}, self.results_path, section)
        print(f"metrics saved to {config.shown(self.results_path)} under {key!r}")
        return out

    def study_results(self) -> dict:
        return fileio.load_results(config.RESULTS_PATH)


def _params(notebook: str, namespace: dict) -> dict:
    """The notebook's parameters (the names of its full-size table), each checked before anything is written."""
    defaults = config.FULL_SIZE[notebook]
    if missing := [name for name in defaults if name not in namespace]:
        raise ValueError(f"{notebook}: the parameters cell lacks {missing}; restore it from git.")
    for name, full in defaults.items():  # a bool, a count (at most the images there are), a number, a list
        value = namespace[name]
        if isinstance(full, bool) and not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")
        if isinstance(full, int) and not isinstance(full, bool):
            checks.integer(name, value, 0 if name in ("SEED", "FROZEN_EPOCHS") else 1, _AVAILABLE.get(name))
        if isinstance(full, float):
            checks.positive_float(name, value)
        if isinstance(full, list | tuple) and not (isinstance(value, list | tuple) and value):
            raise ValueError(f"{name} must be a non-empty list like {list(full)!r}, got {value!r}")
    return {name: _normal(namespace[name]) for name in defaults}


def _matching_run(notebook: str, params: dict, name: str, keys: tuple[str, ...]) -> Path | None:
    """``name`` in the newest scratch run of ``notebook`` (same source) that agrees with ``params`` on ``keys``."""
    wanted = {k: params.get(k, _normal(config.FULL_SIZE[notebook].get(k))) for k in keys} | {"code": _code_digest()}
    found = []
    for params_file in config.RUNS_DIR.glob(f"{notebook}/*/{_PARAMS_FILE}"):
        if (path := params_file.parent / "checkpoints" / name).is_file():
            record = json.loads(params_file.read_text())
            if wanted.items() <= {**record.get("parameters", {}), "code": record.get("code")}.items():
                found.append((path.stat().st_mtime, path))
    return max(found, default=(None, None))[1]


def start(notebook: str, namespace: dict) -> Run:
    """The run of ``notebook`` with the parameters in ``namespace`` (its ``globals()``), said first thing."""
    checks.choice("notebook", notebook, sorted(config.FULL_SIZE))
    run = Run(notebook, namespace)
    how = ", ".join(f"{k}={json.dumps(v)}" for k, v in run.changed.items()) or "the study's parameters"
    if run.is_study:
        record = f"{config.shown(config.FIGURES_DIR)}/, {config.shown(config.CHECKPOINT_DIR)}/"
        print(f"Study run ({how}): results go to the study's record ({record}).")
    else:
        where = f"everything it writes goes to {config.shown(run.folder)}/"
        print(f"Scratch run ({how}): {where}; the study's record is untouched (only `make reproduce` writes it).")
    for folder in (run.figures_dir, run.checkpoint_dir):
        fileio.writable_folder(folder)  # a read-only or full disk is named now, not after the training
        fileio.remove_stale_temp_files(folder)  # what killed writes of an earlier run left
    print(utils.versions())
    return run
