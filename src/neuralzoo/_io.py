"""Atomic file writing and the one-writer lock of a run folder.

Every file neuralzoo writes (weights, optimizer state, metrics, reports) goes through these
helpers: the bytes go to a temporary file in the same folder, are flushed to disk, and the
temporary file is renamed over the target (``os.replace`` is atomic on POSIX and Windows).
A file is either its old self or completely new, never half-written.

:func:`run_lock` makes one process (and one thread) the only writer of a run folder while it
holds it; everything that starts writing a run folder takes it (the trainer, the staged runs,
``neuralzoo train``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: msvcrt's byte-range lock instead
    fcntl = None  # type: ignore[assignment]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None], *, binary: bool) -> Path:
    """Call ``write(f)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600: give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda f: f.write(data), binary=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda f: f.write(text), binary=False)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


# --- the one-writer lock of a run folder -------------------------------------------------------

LOCK_NAME = ".neuralzoo.lock"
"""The lock file inside a run folder, present while a writer holds the folder."""

_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # atomic_write's names: .<name>.<8 random>.tmp
_held = threading.local()  # {folder: (pid, depth)} of the folders this thread holds


class RunLockedError(RuntimeError):
    """Another writer (process or thread) holds the run folder."""


@contextmanager
def run_lock(folder: str | os.PathLike | None) -> Iterator[Path | None]:
    """Hold ``folder`` as its only writer for the life of the ``with`` block.

    An OS advisory lock (``fcntl.flock``) on ``folder/.neuralzoo.lock``: a second writer, in
    another process or another thread of this one, is refused at once with a
    :class:`RunLockedError` naming the folder and the holder's pid; the block that holds it may
    take it again (nested calls: the CLI, then the trainer). The operating system drops the lock
    when its holder ends, even by ``kill -9``, so a killed run never leaves its folder stuck;
    its lock file, and the temporary files of a write it interrupted (``.*.tmp``), are removed
    by the next writer. ``folder`` is made if needed, and removed again if the block leaves it
    empty; ``None`` holds nothing (one place to say "this process does not write", e.g. a
    ``torch.distributed`` rank other than 0). An existing file at ``folder`` is refused.
    """
    if folder is None:
        yield None
        return
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder}: expected a run folder, got an existing file")
    held = _held.__dict__.setdefault("folders", {})
    key = os.path.realpath(folder)
    if held.get(key, (None, 0))[0] == os.getpid():  # this thread holds it already: nest
        pid, depth = held[key]
        held[key] = (pid, depth + 1)
        try:
            yield folder
        finally:
            held[key] = (pid, held[key][1] - 1)
        return
    created = _make_folders(folder)
    path = Path(os.path.abspath(folder)) / LOCK_NAME  # the same file should the holder change directory
    try:
        fd = _acquire(path, shown=folder)
    except BaseException:
        _remove_empty(created)
        raise
    held[key] = (os.getpid(), 1)
    try:
        remove_stale_temp_files(path.parent)
        yield folder
    finally:
        del held[key]
        _release(fd, path)
        _remove_empty(created)


def remove_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files (``.<name>.<random>.tmp``) that a killed write left in ``folder``;
    only its holder may call this (a live writer's file would go)."""
    removed = []
    for path in Path(folder).iterdir():
        if _TEMP.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _make_folders(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; return those made (absolute), innermost first."""
    folder = Path(os.path.abspath(folder))
    missing = []
    for p in (folder, *folder.parents):
        if p.exists():
            break
        missing.append(p)
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_empty(created: list[Path]) -> None:
    for p in created:  # innermost first: a folder this lock made and nothing filled
        try:
            p.rmdir()
        except OSError:
            return


def _acquire(path: Path, shown: Path) -> int:
    """Lock file ``path`` for this process, or raise naming the folder as the user wrote it."""
    folder = shown
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            _lock(fd)
        except OSError as err:
            holder = _holder(fd)
            os.close(fd)
            if isinstance(err, BlockingIOError) or isinstance(err, PermissionError) and fcntl is None:
                raise RunLockedError(
                    f"{folder} is in use by another neuralzoo run{holder}: expected one writer at a "
                    "time (wait for it to end, or choose another folder)") from None
            raise RunLockedError(f"{folder}: cannot lock {path} ({err.strerror})") from None
        # the previous holder removes the file as it lets go: a file opened before that is stale
        try:
            current = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _release(fd: int, path: Path) -> None:
    if fcntl is not None:  # removed while still held, so no one can lock a file that goes
        try:
            os.unlink(path)
        except OSError:
            pass
    os.close(fd)  # closing drops the lock


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError, AttributeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
