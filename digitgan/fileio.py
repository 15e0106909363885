"""The study's files: atomic writes, strict JSON, a locked results file, checked weights, the record's guard."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import stat
import tempfile
from pathlib import Path

import numpy as np
from filelock import FileLock

from digitgan import config

TMP_PREFIX = ".digitgan-tmp-"  # + the writer's process id + "-": git-ignored, removed once that process is gone
_CAUSES = (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES)  # h5py and TensorFlow name these in words only


class DataFileError(ValueError):
    """A saved file is missing, corrupt or of the wrong kind; the message names it and how to recover."""


class StudyRecordError(PermissionError):
    """A write into the study's record (figures/, checkpoints/) from a process that is not the study's runner."""


def write_error(path: Path, exc: BaseException) -> OSError:
    """The ``OSError`` naming ``path``, the cause of ``exc`` (its errno) and the fix."""
    code = getattr(exc, "errno", None)
    if not isinstance(code, int):
        code = next((c for c in _CAUSES if os.strerror(c) in str(exc)), None)
    reason = os.strerror(code) if code else f"{type(exc).__name__}: {exc}"
    kind = PermissionError if code in (errno.EACCES, errno.EPERM) else OSError
    error = kind(f"Cannot write {path}: {reason}. Free space there or make it writable (`chmod u+rwx`).")
    error.errno = code
    return error


def temp_path(path: Path) -> Path:
    """A temporary sibling of ``path`` owned by this process (same extension, as Keras and PIL need)."""
    return Path(path).with_name(f"{TMP_PREFIX}{os.getpid()}-{Path(path).name}")


def writable_folder(folder: Path, file: Path | None = None) -> Path:
    """``folder``, created if needed, once a file could be made there; else a :func:`write_error` naming ``file``."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder, prefix=TMP_PREFIX).close()
    except OSError as exc:
        raise write_error(file or folder, exc) from exc
    return Path(folder)


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete and return this package's temporary files in ``folder`` whose writing process is gone."""
    stale = []
    for path in sorted(Path(folder).glob(f"{TMP_PREFIX}*")):
        if pid := re.match(rf"{re.escape(TMP_PREFIX)}(\d+)-", path.name):
            try:
                os.kill(int(pid.group(1)), 0)
            except (ProcessLookupError, OverflowError):
                stale.append(path)
                path.unlink(missing_ok=True)
            except PermissionError:  # it runs, under another user
                pass
    return stale


def guard_record(path) -> None:
    """Refuse a write into ``figures/`` or ``checkpoints/`` unless ``config.STUDY_RUN_ENV`` is "1" (the runner)."""
    target = Path(os.path.realpath(path))
    record = [Path(os.path.realpath(folder)) for folder in config.COMMITTED_DIRS]
    if os.environ.get(config.STUDY_RUN_ENV) != "1" and any(f == target or f in target.parents for f in record):
        raise StudyRecordError(
            f"{target} is part of the study's record, which only the study's runner writes (make reproduce): "
            "write to the run's own folder (run.checkpoint(...), run.show_fig(...))."
        )


def _replaceable(path: Path) -> Path:
    """The file a write of ``path`` replaces (a link's target), once the guard, the folder and the file allow it."""
    guard_record(path)
    writable_folder(Path(os.path.realpath(path)).parent, path)
    target = Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder, not a file: move the folder aside")
    if target.exists() and not (target.stat().st_mode & stat.S_IWUSR and os.access(target, os.W_OK)):
        raise PermissionError(f"{target} is read-only: `chmod u+w {target}`, or write elsewhere")
    return target


def atomic_write(path: Path, write) -> Path:
    """``write(tmp)`` to a temporary sibling, then rename it to ``path``, after the guard and the checks above."""
    path = _replaceable(path)
    tmp = temp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        import h5py  # h5py keeps a failed file open, and its blocks used, until it is closed

        for file_id in h5py.h5f.get_obj_ids(types=h5py.h5f.OBJ_FILE):
            with contextlib.suppress(Exception):
                if os.path.samefile(os.fsdecode(file_id.name), tmp):
                    h5py.File(file_id).close()
        raise write_error(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text))


def save_weights(model, path: Path) -> Path:
    return atomic_write(path, model.save_weights)


def _jsonable(value):
    """Plain JSON types; NaN and infinities become ``None`` (strict JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    return None if isinstance(value, float) and not math.isfinite(value) else value


def dumps(value, **kwargs) -> str:
    """Strict JSON (NaN/inf as null)."""
    return json.dumps(_jsonable(value), allow_nan=False, **kwargs)


def read_json_object(path: Path, what: str, fix: str) -> dict:
    """The JSON object in ``path``; a missing, unreadable, corrupt or non-object file is a :class:`DataFileError`."""
    path = Path(path)
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        why = "is a folder, not a JSON file" if path.is_dir() else "cannot be read"
        why = f"is not valid JSON ({exc})" if path.is_file() else why
        raise DataFileError(f"{path} ({what}) {why}. {fix}") from exc
    if not isinstance(value, dict):
        raise DataFileError(f"{path} ({what}) holds a JSON {type(value).__name__}, not an object. {fix}")
    return value


def results_lock(path: Path) -> FileLock:
    """The inter-process lock every read-modify-write of the JSON file ``path`` holds."""
    return FileLock(str(path.with_name(f".{path.name}.lock")), timeout=600)


def _results_fix(path: Path) -> str:
    if Path(path).resolve().is_relative_to(config.PROJ_ROOT):
        return f"Recover it with `git checkout -- {config.shown(path)}`."
    return "Move it aside and rerun the notebooks that write it."


def load_results(path: Path | None = None) -> dict:
    """All notebooks' metrics, ``{}`` if none were saved yet."""
    path = Path(path or config.RESULTS_PATH)
    return read_json_object(path, "a results file", _results_fix(path)) if path.exists() else {}


def save_results(key: str, metrics: dict, path: Path | None = None, section: str | None = None) -> dict:
    """Set ``results[key]`` (or ``results[section][key]``) in a results file, under its lock and atomically."""
    path = Path(path or config.RESULTS_PATH)
    file = _replaceable(path)  # checked before the lock file is made
    entry = _jsonable(metrics)
    with results_lock(file):
        results = load_results(path)
        target = results if section is None else results.setdefault(section, {})
        if not isinstance(target, dict):
            raise DataFileError(f"{path}: {section!r} is not a section of results. {_results_fix(path)}")
        target[key] = entry
        atomic_write_text(file, dumps(results, indent=2, sort_keys=True) + "\n")
    return entry


def load_weights(model, path: Path, fix: str, sha256: str | None = None):
    """``model.load_weights(path)``; a missing, damaged or (by ``sha256``) altered file is a DataFileError."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path} does not exist. {fix}")
    if sha256 is not None and hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise DataFileError(f"{path} is not the committed file: `git checkout -- {config.shown(path)}`.")
    try:
        model.load_weights(path)
    except Exception as exc:  # h5py and Keras raise OSError, ValueError, KeyError... for a bad file
        raise DataFileError(f"{path} could not be loaded ({type(exc).__name__}): truncated or corrupt. {fix}") from exc
    return model
