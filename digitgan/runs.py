"""The study's runs and scratch runs of the notebooks.

Each notebook's ``parameters`` cell holds the full-size protocol (:data:`digitgan.config.FULL_SIZE`). A run with
those parameters is the study's own: it writes to ``figures/``, ``checkpoints/`` and ``figures/results.json``.
A run with any other value is a *scratch run*: everything it writes goes to its own git-ignored folder,
``runs/<notebook>/<hash of its parameters>/`` (``figures/``, ``checkpoints/``, ``results.json`` and
``params.json``), the same parameters again reuse that folder, and what it reads (the discriminator, the
judge, earlier notebooks' results) comes from the study's folders unless the run made its own.

In a notebook, after the parameters cell::

    run = runs.start("02_dcgan", globals())   # says which kind of run this is, first thing
    run.save_fig("dcgan_losses", fig)          # figures/... or runs/02_dcgan/<hash>/figures/...

``DIGITGAN_WRITE_STUDY=1`` is the one opt-in that lets a run with other parameters write into the study's
folders: the test suite uses it after pointing those folders into a temporary directory.
:func:`list_runs` shows the scratch runs with their parameters and headline numbers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path

from digitgan import config, utils

WRITE_STUDY_ENV = "DIGITGAN_WRITE_STUDY"
PARAMS_FILE = "params.json"
RESULTS_FILE = "results.json"
HEADLINE = ("test_accuracy", "train_accuracy", "classifier_score", "frechet_distance")


def _normal(value):
    """The JSON form of a parameter (tuples as lists, dict keys as strings), so papermill's copies compare equal."""
    return json.loads(utils.dumps(value, sort_keys=True))


def params_hash(params: dict) -> str:
    return hashlib.sha256(utils.dumps(params, sort_keys=True).encode()).hexdigest()[:8]


class StudyWriteRefused(RuntimeError):
    """A write to the study's folders from a kernel that ran with other parameters since it started."""


# Per notebook namespace (a kernel's globals): the first parameters other than the full-size ones it ran with.
# Once set, the study's files are refused to that namespace until the kernel restarts, because variables computed
# with those parameters may still be in it. Keyed by id(); the namespace is kept so the id is never reused.
_TAINTED: dict[int, tuple[dict, dict]] = {}


class Run:
    """Where one notebook run reads and writes, decided anew at every access from the parameter values *in force
    then* (the namespace's current values, not those of :func:`start`): the study's folders for the full-size
    values, else that parameter set's folder ``runs/<notebook>/<hash>/``. ``folder`` is None for the study's run.

    A namespace that has held other values once stays a scratch namespace: with the full-size values back, a write
    to the study's folders raises :class:`StudyWriteRefused` (restart the kernel to rerun the study)."""

    def __init__(self, notebook: str, namespace: dict):
        self.notebook, self._namespace = notebook, namespace
        self._shown: Path | None | str = "unset"  # the folder last announced

    # -- the parameters in force, and where they write ------------------------------------------------------------
    @property
    def params(self) -> dict:
        return _params(self.notebook, self._namespace)

    @property
    def changed(self) -> dict:
        return _changed(self.notebook, self.params)

    @property
    def folder(self) -> Path | None:
        """None for the study's folders; else the folder of the parameters in force (created with params.json)."""
        params = self.params
        changed = _changed(self.notebook, params)
        opted_in = os.environ.get(WRITE_STUDY_ENV) == "1"
        if changed and not opted_in:
            _TAINTED.setdefault(id(self._namespace), (self._namespace, changed))
            folder = config.RUNS_DIR / self.notebook / params_hash(params)
            if self._shown != folder:
                _make_folder(self.notebook, folder, params, changed)
                if self._shown != "unset":
                    print(f"Parameters changed ({_describe(changed)}): from here on this notebook writes to "
                          f"{config.shown(folder)}/; the study's results are untouched.")  # fmt: skip
                self._shown = folder
            return folder
        tainted = _TAINTED.get(id(self._namespace))
        if tainted and not opted_in:
            raise StudyWriteRefused(
                f"{self.notebook}: the parameters are the full-size ones again, but this kernel ran with "
                f"{_describe(tainted[1])} since it started, so its variables may hold that run's results. The "
                "study's files are left as they are: restart the kernel and run all cells to rerun the study, or set "
                "the parameters you want to try (they write to their own folder under runs/)."
            )
        if self._shown not in ("unset", None):
            print(f"Parameters are the full-size ones: from here on results go to the study's folders "
                  f"({config.shown(config.FIGURES_DIR)}/, {config.shown(config.CHECKPOINT_DIR)}/).")  # fmt: skip
        self._shown = None
        return None

    def check(self) -> None:
        """Announce a change of folder now (called after every cell in Jupyter, so that the line appears under the
        parameters cell that changed them); a refused study write is only raised by a write."""
        try:
            _ = self.folder
        except StudyWriteRefused:
            if self._shown is not None:
                print(f"Parameters are the full-size ones again, but this kernel ran with "
                      f"{_describe(_TAINTED[id(self._namespace)][1])}: the study's files stay untouched until you "
                      "restart the kernel and run all cells.")  # fmt: skip
                self._shown = None

    @property
    def is_study(self) -> bool:
        return self.folder is None

    @property
    def figures_dir(self) -> Path:
        folder = self.folder
        return config.FIGURES_DIR if folder is None else folder / "figures"

    @property
    def checkpoint_dir(self) -> Path:
        folder = self.folder
        return config.CHECKPOINT_DIR if folder is None else folder / "checkpoints"

    @property
    def results_path(self) -> Path:
        folder = self.folder
        return config.RESULTS_PATH if folder is None else folder / RESULTS_FILE

    def figure(self, name: str) -> Path:
        """Where figure ``name`` (no extension: PNG) goes."""
        return self.figures_dir / f"{name}.png"

    def save_fig(self, name: str, fig=None) -> Path:
        from digitgan.plots import save_fig

        return save_fig(self.figure(name), fig)

    def show_fig(self, name: str, fig) -> None:
        """Save ``fig`` as figure ``name`` and show it in the notebook (returns nothing, so a cell ending with
        it shows the figure alone)."""
        import matplotlib.pyplot as plt

        self.save_fig(name, fig)
        plt.show()

    def log_dir(self, name: str) -> Path:
        """A new TensorBoard log folder for one training call (:mod:`digitgan.training`): under
        ``runs/tensorboard/<notebook>/`` for the study's run, under the run's folder for a scratch run."""
        from digitgan.training import new_log_dir

        folder = self.folder
        root = config.RUNS_DIR / "tensorboard" / self.notebook if folder is None else folder / "tensorboard"
        return new_log_dir(root, name)

    def checkpoint(self, name: str) -> Path:
        """A file or folder this run writes under its checkpoints."""
        return self.checkpoint_dir / name

    def input(self, name: str, depends_on: tuple[str, ...] = ()) -> Path:
        """A checkpoint this run reads: its own if it made one, else the study's (if that exists and none of
        the parameters in ``depends_on`` differ from the full-size ones), else its own (to be made)."""
        own = self.checkpoint(name)
        study = config.CHECKPOINT_DIR / name
        changed = self.changed
        if self.is_study or own.exists() or any(p in changed for p in depends_on) or not study.exists():
            return own
        return study

    def save_results(self, key: str, metrics: dict, section: str | None = None) -> dict:
        return utils.save_results(key, metrics, self.results_path, section)

    def results(self) -> dict:
        """What this run saved so far."""
        return utils.load_results(self.results_path)

    def study_results(self) -> dict:
        """The study's results (what earlier notebooks saved at full size): a scratch run's inputs."""
        return utils.load_results(config.RESULTS_PATH)


def _params(notebook: str, namespace: dict) -> dict:
    defaults = config.FULL_SIZE[notebook]
    missing = [name for name in defaults if name not in namespace]
    if missing:
        raise ValueError(f"{notebook}: the parameters cell lacks {missing}; restore it from git.")
    return {name: _normal(namespace[name]) for name in defaults}


def _changed(notebook: str, params: dict) -> dict:
    defaults = config.FULL_SIZE[notebook]
    return {name: value for name, value in params.items() if value != _normal(defaults[name])}


def _make_folder(notebook: str, folder: Path, params: dict, changed: dict) -> None:
    utils.writable_folder(folder)
    if not (folder / PARAMS_FILE).exists():
        record = {"notebook": notebook, "parameters": params, "changed": changed, "created": time.time()}
        utils.atomic_write_text(folder / PARAMS_FILE, utils.dumps(record, indent=1, sort_keys=True) + "\n")


def _watch(run: Run) -> None:
    """In IPython, check the parameters after every cell (one watcher per notebook: a rerun replaces it)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    watchers = _WATCHERS.setdefault(id(shell), {})
    old = watchers.pop(run.notebook, None)
    if old is not None:
        with contextlib.suppress(ValueError):
            shell.events.unregister("post_run_cell", old)

    def after_cell(result=None):
        run.check()

    watchers[run.notebook] = after_cell
    shell.events.register("post_run_cell", after_cell)


_WATCHERS: dict[int, dict] = {}


def start(notebook: str, namespace: dict) -> Run:
    """The run of ``notebook`` with the parameters in ``namespace`` (the notebook's ``globals()``, read again at
    every write: see :class:`Run`).

    Prints one line first: a full-size run (the study's folders) or a scratch run (its own folder, which is
    created with ``params.json``), then the versions line.
    """
    if notebook not in config.FULL_SIZE:
        raise ValueError(f"notebook must be one of {sorted(config.FULL_SIZE)}, got {notebook!r}")
    run = Run(notebook, namespace)
    changed = run.changed
    tainted = _TAINTED.get(id(namespace))
    if not changed and tainted and os.environ.get(WRITE_STUDY_ENV) != "1":
        run._shown = None
        print(f"Full-size parameters, but this kernel ran with {_describe(tainted[1])} since it started: the study's "
              "files stay untouched. Restart the kernel and run all cells to rerun the study.")  # fmt: skip
        folders = ()
    elif not changed or os.environ.get(WRITE_STUDY_ENV) == "1":
        how = "full-size" if not changed else f"{_describe(changed)} ({WRITE_STUDY_ENV}=1)"
        print(f"Run: {how}; results go to the study's folders ({config.shown(config.FIGURES_DIR)}/, "
              f"{config.shown(config.CHECKPOINT_DIR)}/).")  # fmt: skip
        run._shown = None
        folders = (config.FIGURES_DIR, config.CHECKPOINT_DIR)
    else:
        folder = run.folder
        print(f"Scratch run ({_describe(changed)}): everything it writes goes to {config.shown(folder)}/; "
              "the study's results are untouched.")  # fmt: skip
        folders = (folder / "figures", folder / "checkpoints")
    for folder in folders:
        utils.remove_stale_temp_files(folder)  # what killed writes of an earlier run left
    _watch(run)
    print(utils.versions())
    return run


def _describe(changed: dict) -> str:
    return ", ".join(f"{name}={json.dumps(value)}" for name, value in changed.items())


def list_runs(notebook: str | None = None):
    """The scratch runs (of one notebook, or all) as a DataFrame: parameters changed, headline numbers, when."""
    import pandas as pd

    rows = []
    for params_file in sorted(config.RUNS_DIR.glob(f"{notebook or '*'}/*/{PARAMS_FILE}")):
        folder = params_file.parent
        record = utils.read_json_object(params_file, "a run's parameters", f"Delete {folder} and rerun it.")
        row = {
            "notebook": record["notebook"],
            "run": folder.name,
            "changed": _describe(record["changed"]),
            "modified": pd.Timestamp(max(p.stat().st_mtime for p in folder.rglob("*")), unit="s").floor("s"),
        }
        results_path = folder / RESULTS_FILE
        for key, metrics in (utils.load_results(results_path) if results_path.exists() else {}).items():
            row.update({f"{key}.{m}": metrics[m] for m in HEADLINE if isinstance(metrics.get(m), (int, float))})
        row["folder"] = config.shown(folder)
        rows.append(row)
    return pd.DataFrame(rows)
