"""The study's files, written so that nothing is half-written and concurrent writers lose nothing: atomic writes
through temporary files (and the removal of those a killed writer left), strict JSON, the shared metrics file
(``figures/results.json``) under an inter-process lock, weights saved and loaded with errors that name the file and
the fix, and the guard that lets only the study's runner write the study's record."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
from filelock import FileLock

from digitgan import config
from digitgan.disk import TMP_PREFIX, close_h5, weights_bytes, writable_folder, write_error

LOCK_TIMEOUT_S = 600  # writers hold the lock for milliseconds; the OS frees it when a holder dies


def temp_path(path: Path) -> Path:
    """A temporary sibling of ``path`` (``.digitgan-tmp-<pid>-<name>``: same extension, as Keras and PIL need),
    owned by this process, so that :func:`remove_stale_temp_files` never deletes a file another writer still uses."""
    path = Path(path)
    return path.with_name(f"{TMP_PREFIX}{os.getpid()}-{path.name}")


def _process_alive(pid: int) -> bool:
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
        if pid <= _MAX_PID and _process_alive(pid):
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
        close_h5(tmp)  # h5py keeps the failed file open (and its blocks used) until it is closed
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
