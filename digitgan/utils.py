"""Seeding, timing and the shared metrics file (``figures/results.json``)."""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import random
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from filelock import FileLock

from digitgan import config

LOCK_TIMEOUT_S = 600  # writers hold the lock for milliseconds; the OS frees it when a holder dies


def set_seed(seed: int = config.SEED, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras, and choose the op-determinism mode.

    ``deterministic=False`` allows XLA (Keras turns XLA off under op determinism); on this
    CPU stack XLA-compiled steps are repeatable too, so the DCGAN uses that mode.
    """
    import keras
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    else:
        from tensorflow.python.framework import config as tf_config  # no public "disable" exists

        tf_config.disable_op_determinism()


VERSIONED = ("tensorflow", "keras", "numpy", "scipy", "scikit-learn", "pandas", "matplotlib", "seaborn", "pillow")


def versions() -> str:
    """One line with Python, every package that shapes the study's numbers or figures (:data:`VERSIONED`), and
    the CPU cores: what a reader needs to rebuild the environment (``requirements.lock`` pins them all)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    packages = ", ".join(f"{name} {installed(name)}" for name in VERSIONED)
    m = machine()
    flags = ", ".join(f for f in ("avx512f", "amx_bf16") if f in m["cpu_flags"]) or "no avx512"
    return (f"Python {platform.python_version()}, {packages}, {os.cpu_count()} CPU cores: {m['cpu']} ({flags}), "
            f"threads intra {m['intra_op_threads']} / inter {m['inter_op_threads']} (0: TensorFlow's default), "
            f"oneDNN {m['onednn_opts']}")


def machine() -> dict:
    """What a run's numbers depend on besides its inputs: the CPU model and the instruction-set flags TensorFlow's
    kernels pick from, the thread settings, and the TensorFlow, Keras and oneDNN versions. Results repeat bit for
    bit on the same CPU model and thread count; every run record holds this."""
    import platform

    import keras
    import tensorflow as tf

    model, flags = platform.processor() or platform.machine(), []
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == "model name":
                model = value.strip()
            elif name.strip() == "flags":
                flags = sorted(f for f in value.split() if f.startswith(CPU_FLAG_PREFIXES))
                break
    onednn = getattr(tf.sysconfig, "get_build_info", dict)().get("onednn_version") or "bundled"
    return {
        "cpu": model, "cpu_flags": flags, "cores": os.cpu_count(),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "tensorflow": tf.__version__, "keras": keras.__version__, "onednn": onednn,
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
    }  # fmt: skip


CPU_FLAG_PREFIXES = ("avx", "amx", "fma", "f16c", "sse4")  # the kernels' choices that change float results


@contextmanager
def timer():
    """``with timer() as t: ...`` then ``t["seconds"]`` holds the wall time."""
    t = {"seconds": 0.0}
    start = time.perf_counter()
    try:
        yield t
    finally:
        t["seconds"] = time.perf_counter() - start


# + the writing process's id + "-": the temporary files (and folders) of atomic writes. Unmistakably the package's,
# so that clean-up never takes a user's own ``.tmp-...`` files (see remove_orphans).
TMP_PREFIX = ".digitgan-tmp-"


def writable_folder(folder: Path, file: Path | None = None) -> Path:
    """Create ``folder`` if needed and check that files can be created in it by creating (and removing) a small
    temporary file there: the error names the folder (and ``file``, the file about to be written there) and says
    why: a read-only file system, no permission (with the owner), no space."""
    folder = Path(folder)
    named = f" (to write {Path(file).name})" if file is not None else ""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno == errno.EROFS:
            raise _read_only_error(folder, f"Cannot create the folder {folder}") from exc
        raise PermissionError(
            f"Cannot create the folder {folder} ({exc.strerror}): check its parent's permissions."
        ) from exc
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f"{TMP_PREFIX}{os.getpid()}-probe.")
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise PermissionError(f"Cannot write into {folder}{named}: {_permission_fix(folder)}") from exc
        if exc.errno == errno.EROFS:
            doing = f"Cannot write {file}" if file is not None else "Cannot write there"
            raise _read_only_error(folder, doing) from exc
        raise write_error(file or folder / "(a new file)", exc) from exc
    os.close(fd)
    Path(probe).unlink(missing_ok=True)
    return folder


def temp_path(path: Path) -> Path:
    """A temporary sibling of ``path`` (``.digitgan-tmp-<pid>-<name>``: same extension, as Keras and PIL need),
    owned by this process, so that :func:`remove_stale_temp_files` never deletes a file another writer still uses."""
    path = Path(path)
    return path.with_name(f"{TMP_PREFIX}{os.getpid()}-{path.name}")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


_MAX_PID = 2**31 - 1  # os.kill overflows above it; no process has such an id


def remove_orphans(folder: Path, prefix: str) -> list[Path]:
    """Delete what killed work left in ``folder``: files or folders named exactly ``<prefix><pid>-<name>`` whose
    process ``<pid>`` is gone; returns them. Everything else is kept: a live writer's, and any name that is not
    ``prefix``, digits, ``-`` and more (``<prefix>notes``, ``<prefix>12x-a``). A link is removed, never followed."""
    folder = Path(folder)
    removed = []
    for p in sorted(folder.glob(f"{prefix}*")) if folder.is_dir() else ():
        match = re.fullmatch(r"(\d+)-.+", p.name[len(prefix) :], re.DOTALL)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid <= _MAX_PID and process_alive(pid):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete the temporary files and folders that killed writes of this package left in ``folder``
    (``.digitgan-tmp-<pid>-...`` whose process is gone); returns them. A user's ``.tmp-...`` files are kept."""
    return remove_orphans(folder, TMP_PREFIX)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename. A symbolic link stays
    a link: the file it points to is replaced. A folder or a read-only file at ``path`` is refused, never replaced
    (:func:`digitgan.checks.replaceable_file`)."""
    from digitgan import checks

    guard_record(path)
    writable_folder(Path(os.path.realpath(path)).parent, path)  # first: a read-only file system is named as such
    path = checks.replaceable_file(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TMP_PREFIX}{os.getpid()}-{path.name}.")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be read by others
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)  # the half-written temporary file, before the free space is measured
        if isinstance(exc, OSError):  # no space, a file system remounted read-only: name the file, not the temporary
            raise write_error(path, exc, len(text.encode())) from exc
        raise


def _jsonable(value):
    """Plain JSON types; NaN and infinities become ``None`` (strict JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value, **kwargs) -> str:
    """Strict JSON (NaN/inf as null; a stray NaN raises instead of writing ``NaN``)."""
    return json.dumps(_jsonable(value), allow_nan=False, **kwargs)


def read_json_object(path: Path, what: str, fix: str) -> dict:
    """The JSON object in ``path``; a missing, corrupt or non-object file, or a folder, raises
    :class:`DataFileError`; an unreadable one a ``PermissionError`` naming it."""
    path = Path(path)
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise DataFileError(f"{path} ({what}) does not exist. {fix}") from exc
    except IsADirectoryError as exc:
        raise DataFileError(f"{path} ({what}) is a folder, not a JSON file. {fix}") from exc
    except PermissionError as exc:
        raise PermissionError(
            f"{path} ({what}) cannot be read by this user: make it readable (`chmod u+r {path}`) or run as its owner"
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path} ({what}) is not valid JSON ({exc}): it was truncated or edited. {fix}") from exc
    if not isinstance(value, dict):
        raise DataFileError(f"{path} ({what}) holds a JSON {type(value).__name__}, not an object. {fix}")
    return value


class DataFileError(ValueError):
    """A saved file (results, cache, history, weights, checkpoint) is missing, corrupt or of the wrong kind (a
    folder where a file should be).

    The message names the file, what is wrong with it and how to recover.
    """


def results_lock(path: Path) -> FileLock:
    """The inter-process lock every read-modify-write of the JSON file ``path`` holds."""
    return FileLock(str(path.with_name(f".{path.name}.lock")), timeout=LOCK_TIMEOUT_S)


def _results_fix(path: Path) -> str:
    """How to recover a damaged results file: git (a command that works from the repository root) only for a file
    inside the repository, which git may hold; moving it aside and rerunning what writes it, always."""
    rerun = "move it aside and rerun the notebooks that write it; other keys are only lost if you delete it."
    if Path(path).resolve().is_relative_to(config.PROJ_ROOT):
        return (
            f"Recover it with `git checkout -- {config.shown(path)}` (from the repository root, {config.PROJ_ROOT}) "
            f"if it is committed, or {rerun}"
        )
    return rerun[0].upper() + rerun[1:]


def load_results(path: Path | None = None) -> dict:
    """All notebooks' metrics, ``{}`` if none were saved yet. A symbolic link is read through; a folder, a corrupt
    or non-object file is a :class:`DataFileError` naming it."""
    path = Path(path or config.RESULTS_PATH)
    if not path.exists():  # a dangling link too: nothing saved yet
        return {}
    return read_json_object(path, "a results file", _results_fix(path))


def save_results(key: str, metrics: dict, path: Path | None = None, section: str | None = None) -> dict:
    """Set ``results[key] = metrics`` in a results file, leaving other keys untouched; with ``section``,
    ``results[section][key] = metrics``, leaving the section's other entries (``"future_work"``: 09-11).

    Safe against concurrent writers (an inter-process file lock around read-modify-write) and against
    kills (atomic replace). A corrupt file is an error, never silently replaced; so are a read-only file and a
    folder at ``path``, refused before anything is written. A symbolic link stays a link: its target is updated
    (and locked, so that writers through the link and to the file itself exclude each other).
    """
    from digitgan import checks

    path = Path(path or config.RESULTS_PATH)
    guard_record(path)
    writable_folder(Path(os.path.realpath(path)).parent, path)  # a read-only file system is named as such
    file = checks.replaceable_file(path)  # the link's target, if a link; checked before the lock file is made
    entry = _jsonable(metrics)
    with results_lock(file):
        results = load_results(path)
        target = results if section is None else results.setdefault(section, {})
        if not isinstance(target, dict):
            raise DataFileError(f"{path}: {section!r} holds a {type(target).__name__}, not a section of results")
        target[key] = entry
        atomic_write_text(file, dumps(results, indent=2, sort_keys=True) + "\n")
    return entry


class StudyRecordError(PermissionError):
    """A write into the study's record (the repository's figures/ and checkpoints/) from a process that is not the
    study's runner."""


def guard_record(path) -> None:
    """Refuse, before anything is written, a write into the repository's ``figures/`` or ``checkpoints/`` unless this
    process runs for the study's runner (``config.STUDY_RUN_ENV`` is "1"): only ``make reproduce`` and its siblings
    write the study's record."""
    if os.environ.get(config.STUDY_RUN_ENV) == "1":
        return
    target = Path(os.path.realpath(path))
    for folder in config.COMMITTED_DIRS:
        folder = Path(os.path.realpath(folder))
        if target == folder or folder in target.parents:
            raise StudyRecordError(
                f"{target} is part of the study's record, which only the study's runner writes (make reproduce, "
                "make extensions, make future, make claims). Write this run's files to its own folder (a notebook's "
                "run.checkpoint(...) or run.figure(...)), or run it through those make targets."
            )


def save_weights(model, path: Path) -> Path:
    """``model.save_weights(path)`` through a temporary file, so an interrupted save leaves no half file. A failed
    write (no space left, a read-only file system; h5py's errors too) is an ``OSError`` naming ``path`` and the cause,
    and the temporary file is removed. Only the study's runner writes into the study's record (:func:`guard_record`)."""
    guard_record(path)
    path = Path(path)
    writable_folder(path.parent, path)
    tmp = temp_path(path)  # Keras needs the name to end in .weights.h5
    try:
        model.save_weights(tmp)
        tmp.replace(path)
    except OSError as exc:  # h5py's errors are OSErrors too, naming only the temporary file
        _close_h5(tmp)  # h5py keeps the failed file open (and its blocks used) until it is closed
        tmp.unlink(missing_ok=True)  # before the free space is measured
        optimizer = getattr(model, "optimizer", None)  # Keras saves its state in the file too
        raise write_error(path, exc, weights_bytes(model, *([optimizer] if optimizer is not None else []))) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_weights(model, path: Path, fix: str, sha256: str | None = None):
    """``model.load_weights(path)``; a missing, truncated or mismatched file raises :class:`DataFileError`, and so
    does a file whose SHA-256 is not ``sha256`` (the committed digest: :func:`digitgan.store.committed_sha256`)."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path} does not exist. {fix}")
    if sha256 is not None:
        import hashlib

        with path.open("rb") as f:
            actual = hashlib.file_digest(f, "sha256").hexdigest()
        if actual != sha256:
            raise DataFileError(
                f"{path} is not the committed file (SHA-256 {actual[:12]}…, committed {sha256[:12]}…): it was changed "
                f"or damaged. Restore it with `git checkout -- {config.shown(path)}`."
            )
    try:
        model.load_weights(path)
    except Exception as exc:  # h5py and Keras raise OSError, ValueError, KeyError... for a bad file
        raise DataFileError(
            f"{path} could not be loaded into {model.name} ({type(exc).__name__}: {exc}): the file is truncated, "
            f"corrupt or from other networks. {fix}"
        ) from exc
    return model


def _sample_std(values) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")


def seed_stats(grouped):
    """``mean``, ``std`` (over seeds, ddof 1; missing for a single run, never a 0 spread) and ``runs`` of each
    group of a pandas ``SeriesGroupBy`` (test accuracies grouped by method, label count, ...)."""
    return grouped.agg(mean="mean", std=_sample_std, runs="count")


# --- why a write failed: the final file, the folder and the fix, never only the temporary file -----------------


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:,.1f} MB"


def _errno_of(exc: BaseException) -> int | None:
    """The errno of a failed write: the exception's own, else the ``errno = N`` that h5py writes into its message."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int):
        return code
    match = re.search(r"errno = (\d+)", str(exc))
    return int(match.group(1)) if match else None


def _existing(folder: Path) -> Path:
    """``folder``, or its nearest existing parent (whose file system a new folder would be on)."""
    folder = Path(folder).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _mount_point(folder: Path) -> Path:
    """The mount point of the file system that holds ``folder``."""
    folder = Path(os.path.realpath(_existing(folder)))
    while not os.path.ismount(folder) and folder != folder.parent:
        folder = folder.parent
    return folder


def _permission_fix(folder: Path) -> str:
    """Why this user may not create files in ``folder`` and what helps: ``chmod`` for the owner, else the owner."""
    info = _existing(folder).stat()
    mode = f"mode {info.st_mode & 0o777:o}"
    if info.st_uid == os.geteuid():
        return (
            f"it lacks write or execute permission ({mode}). Fix it with `chmod u+rwx {folder}` or point the run "
            "elsewhere."
        )
    return (
        f"it belongs to uid {info.st_uid} ({mode}) and this user (uid {os.geteuid()}) may not write there. Run as its "
        f"owner, have the owner grant access (`chmod o+rwx {folder}` or a group), or point the run elsewhere."
    )


def _read_only_error(folder: Path, doing: str) -> OSError:
    error = OSError(
        f"{doing}: {folder} is on a file system mounted read-only (at {_mount_point(folder)}): choose a writable "
        "folder (changing permissions cannot help)."
    )
    error.errno = errno.EROFS
    return error


def write_error(path: Path, exc: BaseException, need_bytes: int | None = None) -> OSError:
    """The ``OSError`` to raise for ``exc``, a failed write of ``path``: it names ``path`` (the final file, never the
    temporary one) and the cause with its fix: no space left (how much is free, how much the file needs), a
    read-only file system, no permission; else the system's own words. Its ``errno`` is the cause's. Call it after
    removing the temporary file, so that the free space it reports is what a retry has."""
    path = Path(path)
    folder = path.parent
    doing = f"Cannot write {path}"
    code = _errno_of(exc)
    if code in (errno.ENOSPC, errno.EDQUOT):
        usage = shutil.disk_usage(_existing(folder))
        cause = "no space left" if code == errno.ENOSPC else "the disk quota is used up"
        if need_bytes and need_bytes > usage.free:
            fix = f"{path.name} needs about {_mb(need_bytes)}: free {_mb(need_bytes - usage.free)} or more there"
        else:
            fix = "free some space there" + (f" ({path.name} needs about {_mb(need_bytes)})" if need_bytes else "")
        error = OSError(
            f"{doing}: {cause} on {folder} (the file system at {_mount_point(folder)}: {_mb(usage.free)} free of "
            f"{_mb(usage.total)}); {fix}, or write to another folder."
        )
    elif code == errno.EROFS:
        return _read_only_error(folder, doing)
    elif code in (errno.EACCES, errno.EPERM):
        error = PermissionError(f"{doing}: permission denied in {folder}: {_permission_fix(folder)}")
    else:
        reason = os.strerror(code) if code else f"{type(exc).__name__}: {exc}"
        error = OSError(f"{doing}: {reason}. Check the folder {folder} and its file system, or write elsewhere.")
    error.errno = code
    return error


def _close_h5(path: Path) -> None:
    """Close the HDF5 files h5py still holds open at ``path`` (a save that failed half-way leaves its file open, and
    its disk blocks used even once it is deleted); the errors of closing a damaged file are ignored."""
    import h5py

    for file_id in h5py.h5f.get_obj_ids(types=h5py.h5f.OBJ_FILE):
        with contextlib.suppress(Exception):
            if os.path.samefile(os.fsdecode(file_id.name), path):
                h5py.File(file_id).close()


def weights_bytes(*objects) -> int:
    """The bytes of the variables of ``objects`` (models, optimizers, lists of tensors): about what a weights file
    or a checkpoint of them holds, less a little metadata."""
    import tensorflow as tf

    total = 0
    for obj in objects:
        if isinstance(obj, (list, tuple)):
            total += weights_bytes(*obj)
        elif hasattr(obj, "shape") and hasattr(obj, "dtype"):  # a variable or a tensor
            total += int(np.prod(obj.shape)) * tf.as_dtype(obj.dtype).size
        elif hasattr(obj, "variables"):  # a model or an optimizer
            total += weights_bytes(*obj.variables)
    return total


def check_free_space(folder: Path, need_bytes: int, what: str) -> int:
    """Raise an ``OSError`` (``ENOSPC``) naming ``folder`` and the sizes when its file system has less than
    ``need_bytes`` free, before a run starts writing ``what`` (e.g. "one checkpoint of the DCGAN"); returns the free
    bytes. A folder not made yet is checked on the file system it will be on."""
    free = shutil.disk_usage(_existing(folder)).free
    if free < need_bytes:
        error = OSError(
            f"{folder} has {_mb(free)} free (the file system at {_mount_point(folder)}), less than the "
            f"{_mb(need_bytes)} that {what} needs: free {_mb(need_bytes - free)} or more there, or point the run to "
            "another folder."
        )
        error.errno = errno.ENOSPC
        raise error
    return free
