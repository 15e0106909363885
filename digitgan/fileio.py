"""The study's files, never half-written: atomic writes through a temporary file (and the removal of those a killed
writer left), strict JSON, the shared results file under an inter-process lock, weights saved and loaded with their
digest checked, a failed write named with its fix, and the guard that lets only the study's runner write the record."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import shutil
import stat
from pathlib import Path

import numpy as np
from filelock import FileLock

from digitgan import config

# + the writing process's id + "-": the package's temporary files, which remove_stale_temp_files may take.
TMP_PREFIX = ".digitgan-tmp-"


class DataFileError(ValueError):
    """A saved file is missing, corrupt or of the wrong kind; the message names it and how to recover."""


class StudyRecordError(PermissionError):
    """A write into the study's record (figures/, checkpoints/) from a process that is not the study's runner."""


def write_error(path: Path, exc: BaseException) -> OSError:
    """The ``OSError`` for ``exc``, a failed write of ``path`` (the final file, never the temporary one): the cause
    (its errno, or the one h5py or TensorFlow wrote into the message) and the fix."""
    code, text = getattr(exc, "errno", None), str(exc)
    if not isinstance(code, int):
        found = re.search(r"errno = (\d+)", text)
        causes = (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES)
        code = int(found.group(1)) if found else next((c for c in causes if os.strerror(c) in text), None)
    reason = os.strerror(code) if code else f"{type(exc).__name__}: {exc}"
    kind = PermissionError if code in (errno.EACCES, errno.EPERM) else OSError
    error = kind(
        f"Cannot write {path}: {reason} (in {Path(path).parent}). Free space there or make it writable (`chmod u+rwx`,"
        " or run as its owner), or write to another folder."
    )
    error.errno = code
    return error


def temp_path(path: Path) -> Path:
    """A temporary sibling of ``path`` owned by this process (same extension, as Keras and PIL need)."""
    path = Path(path)
    return path.with_name(f"{TMP_PREFIX}{os.getpid()}-{path.name}")


def writable_folder(folder: Path, file: Path | None = None) -> Path:
    """``folder``, created if needed, once a file could be created (and removed) there; else a :func:`write_error`
    naming ``file`` (the file to be written there) or the folder."""
    folder = Path(folder)
    probe = temp_path(folder / "probe")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise write_error(file or folder, exc) from exc
    return folder


def remove(path: Path) -> None:
    """Delete a file, a link (never followed) or a whole folder."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def remove_stale_temp_files(folder: Path, prefix: str = TMP_PREFIX) -> list[Path]:
    """Delete what killed work left in ``folder``: files and folders named ``<prefix><pid>-<name>`` whose process
    is gone; returns them. A live writer's and every other name are kept."""
    removed = []
    for p in sorted(Path(folder).glob(f"{prefix}*")):
        match = re.fullmatch(r"(\d+)-.+", p.name[len(prefix) :], re.DOTALL)
        if match and not _alive(int(match.group(1))):
            remove(p)
            removed.append(p)
    return removed


def guard_record(path) -> None:
    """Refuse a write into the repository's ``figures/`` or ``checkpoints/`` unless this process is the study's
    runner's (``config.STUDY_RUN_ENV`` is "1")."""
    if os.environ.get(config.STUDY_RUN_ENV) == "1":
        return
    target = Path(os.path.realpath(path))
    for folder in map(os.path.realpath, config.COMMITTED_DIRS):
        if target == Path(folder) or Path(folder) in target.parents:
            raise StudyRecordError(
                f"{target} is part of the study's record, which only the study's runner writes (make reproduce, "
                "make extensions, make future, make claims). Write this run's files to its own folder (a notebook's "
                "run.checkpoint(...) or run.figure(...)), or run it through those make targets."
            )


def _replaceable(path: Path) -> Path:
    """The file a write of ``path`` replaces (a link's target); a folder or a read-only file is refused."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.is_dir():
        raise IsADirectoryError(
            f"{target} is a folder, not a file: move the folder aside so that the file can be written"
        )
    if target.exists() and not (target.stat().st_mode & stat.S_IWUSR and os.access(target, os.W_OK)):
        raise PermissionError(
            f"{target} is read-only (mode {stat.S_IMODE(target.stat().st_mode):o}, uid {target.stat().st_uid}), so "
            f"it is not replaced: make it writable (`chmod u+w {target}`, as its owner), or write elsewhere"
        )
    return target


def _atomic_write(path: Path, write) -> Path:
    """``write(tmp)`` to a temporary sibling, then rename it to ``path``: nothing half-written, ever. Refused before
    anything is written: the study's record outside its runner, a folder or a read-only file at ``path``."""
    guard_record(path)
    writable_folder(Path(os.path.realpath(path)).parent, path)
    path = _replaceable(Path(path))
    tmp = temp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _close_h5(tmp)  # h5py keeps a failed file open, and its blocks used, until it is closed
        tmp.unlink(missing_ok=True)
        raise write_error(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _close_h5(path: Path) -> None:
    import h5py

    for file_id in h5py.h5f.get_obj_ids(types=h5py.h5f.OBJ_FILE):
        with contextlib.suppress(Exception):
            if os.path.samefile(os.fsdecode(file_id.name), path):
                h5py.File(file_id).close()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a symbolic link stays a link: its target is replaced)."""
    _atomic_write(path, lambda tmp: tmp.write_text(text))


def save_weights(model, path: Path) -> Path:
    """``model.save_weights(path)``, atomically."""
    return _atomic_write(path, model.save_weights)


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
    """The JSON object in ``path``; a missing, corrupt or non-object file, or a folder, is a :class:`DataFileError`."""
    path = Path(path)
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        if isinstance(exc, PermissionError):
            raise PermissionError(f"{path} ({what}) cannot be read: make it readable (`chmod u+r {path}`)") from exc
        why = "is a folder, not a JSON file" if path.is_dir() else "does not exist"
        why = f"is not valid JSON ({exc}): it was truncated or edited" if path.is_file() else why
        raise DataFileError(f"{path} ({what}) {why}. {fix}") from exc
    if not isinstance(value, dict):
        raise DataFileError(f"{path} ({what}) holds a JSON {type(value).__name__}, not an object. {fix}")
    return value


def results_lock(path: Path) -> FileLock:
    """The inter-process lock every read-modify-write of the JSON file ``path`` holds."""
    return FileLock(str(path.with_name(f".{path.name}.lock")), timeout=600)


def _results_fix(path: Path) -> str:
    """How to recover a damaged results file: git for one in the repository; else move it aside and rerun."""
    rerun = "ove it aside and rerun the notebooks that write it; other keys are only lost if you delete it."
    if Path(path).resolve().is_relative_to(config.PROJ_ROOT):
        return f"Recover it with `git checkout -- {config.shown(path)}` (from {config.PROJ_ROOT}), or m{rerun}"
    return "M" + rerun


def load_results(path: Path | None = None) -> dict:
    """All notebooks' metrics, ``{}`` if none were saved yet."""
    path = Path(path or config.RESULTS_PATH)
    if not path.exists():
        return {}
    return read_json_object(path, "a results file", _results_fix(path))


def save_results(key: str, metrics: dict, path: Path | None = None, section: str | None = None) -> dict:
    """Set ``results[key]`` (``results[section][key]`` with ``section``) to ``metrics`` in a results file, under its
    lock and atomically, leaving the other keys; a corrupt file is an error, never replaced."""
    path = Path(path or config.RESULTS_PATH)
    guard_record(path)
    writable_folder(Path(os.path.realpath(path)).parent, path)
    file = _replaceable(path)  # checked before the lock file is made
    entry = _jsonable(metrics)
    with results_lock(file):
        results = load_results(path)
        target = results if section is None else results.setdefault(section, {})
        if not isinstance(target, dict):
            raise DataFileError(f"{path}: {section!r} holds a {type(target).__name__}, not a section of results")
        target[key] = entry
        atomic_write_text(file, dumps(results, indent=2, sort_keys=True) + "\n")
    return entry


def load_weights(model, path: Path, fix: str, sha256: str | None = None):
    """``model.load_weights(path)``; a missing, damaged or mismatched file, or one whose SHA-256 is not ``sha256``
    (the committed digest), is a :class:`DataFileError`."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path} does not exist. {fix}")
    if sha256 is not None:
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
