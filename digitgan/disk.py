"""Where a write can fail and why, said before or when it happens: a folder checked writable before a run writes
there, the free space a run needs checked before it starts, and a failed write's error naming the final file (never
the temporary one), the folder and the fix (no space, a read-only file system, no permission)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

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


def close_h5(path: Path) -> None:
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
