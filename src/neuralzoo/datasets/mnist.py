"""``mnist`` and ``fashion-mnist``: finding, downloading and checking their IDX files.

Both data sets are four IDX files (format in :mod:`neuralzoo.datasets.idx`), each accepted
raw or gzip-compressed (``<file>`` or ``<file>.gz``; a raw copy is preferred when both exist):

    split  images (uint8, (N, 28, 28))   labels (uint8, (N,), 0..9)
    train  train-images-idx3-ubyte       train-labels-idx1-ubyte      N = 60000
    test   t10k-images-idx3-ubyte        t10k-labels-idx1-ubyte       N = 10000

Where they are looked for, in order; the first folder holding both files of the requested
split is used (``info()`` asks for all four):

1. ``root=`` when given: that folder, then ``root/<name>``. Nothing else is searched and
   nothing is downloaded; the error names ``root``.
2. ``$NEURALZOO_DATA/<name>`` when the environment variable is set.
3. The user cache ``${XDG_CACHE_HOME:-~/.cache}/neuralzoo/<name>``.
4. System copies: ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``
   package) for Fashion-MNIST; none for MNIST.
5. With ``download=True``, the missing ``.gz`` files are fetched from the mirrors in
   :data:`MIRRORS` into the user cache, through a temporary file in the same folder renamed
   into place only once its checksum matched, so an interrupted download leaves nothing.
   A mirror is given up after :data:`DOWNLOAD_TIMEOUT` seconds without a byte, and the whole
   download of a split (every file, every mirror) after ``deadline`` seconds
   (:data:`DOWNLOAD_DEADLINE` by default), however slowly bytes keep coming; the error then
   says which files to place by hand, and where.

Every file is checked against the SHA-256 of its *decompressed* bytes in :data:`SHA256`
(the ``.gz`` bytes differ between mirrors and Debian's recompressed copies). A file is
decoded and hashed once per (path, size, mtime) in a process; later loads reuse the
read-only arrays.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import http.client
import logging
import os
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from .idx import DataFileError, decompressed_sha256, parse_idx, read_bytes

__all__ = [
    "CLASS_NAMES",
    "DOWNLOAD_DEADLINE",
    "DOWNLOAD_TIMEOUT",
    "FILES",
    "MIRRORS",
    "NAMES",
    "SHA256",
    "SYSTEM_DIRS",
    "DatasetNotFoundError",
    "DownloadDeadlineError",
    "cache_dir",
    "load_split",
    "locate",
]

log = logging.getLogger(__name__)

NAMES: tuple[str, ...] = ("mnist", "fashion-mnist")
MAX_VALUE = 255  # pixels are integers 0..MAX_VALUE
N_CLASSES = 10
SIDE = 28  # images are SIDE x SIDE

# split -> (images file, labels file), without ".gz".
FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# SHA-256 of the decompressed files (name -> file -> hex digest); the .gz bytes vary.
_MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
_FASHION_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
SHA256: dict[str, dict[str, str]] = {"mnist": _MNIST_SHA256, "fashion-mnist": _FASHION_SHA256}

# Base URLs tried in order; a file's URL is base + file + ".gz". Fashion-MNIST's S3 *website*
# endpoint serves plain HTTP only (it refuses TLS); the pinned SHA-256 guards the content.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}

# Folders where operating-system packages install the files.
SYSTEM_DIRS: dict[str, list[str]] = {
    "mnist": [],
    "fashion-mnist": ["/usr/share/datasets/fashion-mnist"],
}

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}  # fmt: skip

DOWNLOAD_TIMEOUT = 30.0  # seconds without progress before a mirror is given up
DOWNLOAD_DEADLINE = 120.0  # seconds for the whole download of a split: every file, every mirror
_READ_CHUNK = 1 << 16
# time.monotonic() by which the download in progress must be done (None: no download running);
# set by _download for its duration, read by _fetch, so that _fetch keeps its (url, timeout) form
_DEADLINE: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "neuralzoo_download_deadline", default=None)
_USER_AGENT = "neuralzoo (https://pypi.org/project/neuralzoo)"


class DatasetNotFoundError(FileNotFoundError):
    """No copy of a data set was found or could be downloaded.

    ``searched`` holds the folders looked in, in order; ``mirrors`` the URLs tried.
    """

    def __init__(
        self, message: str, searched: list[str] | None = None, mirrors: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.searched = searched or []
        self.mirrors = mirrors or []

    def __reduce__(self) -> tuple[type[DatasetNotFoundError], tuple[str, list[str], list[str]]]:
        # Keep the attributes across pickling (errors raised in worker processes).
        return type(self), (str(self), self.searched, self.mirrors)


class DownloadDeadlineError(TimeoutError):
    """The download ran past its overall deadline (bytes may still have been coming)."""


# 1. Where to look.


def cache_dir(name: str) -> Path:
    """The user cache folder of ``name``: ``${XDG_CACHE_HOME:-~/.cache}/neuralzoo/<name>``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative value is to be ignored.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "neuralzoo" / name


def _candidates(name: str, root: str | os.PathLike[str] | None) -> list[tuple[Path, str]]:
    """The folders to search, in order, each with why it is searched."""
    if root is not None:
        root = Path(root).expanduser()
        return [(root, "root="), (root / name, "root=")]
    out: list[tuple[Path, str]] = []
    env = os.environ.get("NEURALZOO_DATA", "")
    if env:
        out.append((Path(env).expanduser() / name, f"$NEURALZOO_DATA/{name}"))
    out.append((cache_dir(name), "user cache"))
    out += [(Path(d), "system copy") for d in SYSTEM_DIRS.get(name, [])]
    return out


def _find_file(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _require_file(folder: Path, stem: str) -> Path:
    path = _find_file(folder, stem)
    if path is None:  # it was there a moment ago: removed while we looked
        raise FileNotFoundError(f"{folder / stem}: expected the file or its .gz, found neither")
    return path


def locate(
    name: str,
    splits: tuple[str, ...] = ("train", "test"),
    root: str | os.PathLike[str] | None = None,
) -> tuple[Path | None, list[str]]:
    """The first folder holding every file of ``splits`` (or None), and the folders searched.

    Looks only on disk: never downloads, never reads the files.
    """
    stems = [stem for split in splits for stem in FILES[split]]
    searched: list[str] = []
    for folder, _why in _candidates(name, root):
        searched.append(str(folder))
        if all(_find_file(folder, stem) for stem in stems):
            return folder, searched
    return None, searched


# 2. Reading and checking.


@functools.lru_cache(maxsize=16)
def _decode(path: str, size: int, mtime_ns: int) -> tuple[np.ndarray, str]:
    """Decoded array (read-only) and SHA-256 of the decompressed bytes of one file.

    ``size`` and ``mtime_ns`` are part of the key so that a replaced file is read again.
    """
    data = read_bytes(path)
    sha = hashlib.sha256(data).hexdigest()
    arr = parse_idx(data, path)
    arr.flags.writeable = False
    return arr, sha


def _read_checked(name: str, path: Path) -> np.ndarray:
    path = path.resolve()
    st = path.stat()
    arr, sha = _decode(str(path), st.st_size, st.st_mtime_ns)
    stem = path.name.removesuffix(".gz")
    expected = SHA256[name][stem]
    if sha != expected:
        raise DataFileError(
            f"{path}: wrong SHA-256 of the decompressed data for {name} {stem}: "
            f"expected {expected}, got {sha}"
        )
    return arr


def _check_pair(
    images: np.ndarray, labels: np.ndarray, images_path: Path, labels_path: Path
) -> None:
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
        raise DataFileError(
            f"{images_path}: expected images of shape (N, {SIDE}, {SIDE}), got {images.shape}"
        )
    if images.dtype != np.uint8:
        raise DataFileError(f"{images_path}: expected uint8 pixels, got {images.dtype}")
    if labels.ndim != 1:
        raise DataFileError(f"{labels_path}: expected labels of shape (N,), got {labels.shape}")
    if labels.dtype != np.uint8:
        raise DataFileError(f"{labels_path}: expected uint8 labels, got {labels.dtype}")
    if len(images) != len(labels):
        raise DataFileError(
            f"{labels_path}: expected as many labels as images in {images_path.name} "
            f"({len(images)}), got {len(labels)}"
        )
    if len(labels) and int(labels.max()) >= N_CLASSES:
        raise DataFileError(
            f"{labels_path}: expected labels 0..{N_CLASSES - 1}, got {int(labels.max())}"
        )


# 3. Downloading.


def _wait(timeout: float) -> float:
    """How long the next network wait may last: ``timeout``, or the time left before the deadline
    of the download in progress when that is shorter; past the deadline, DownloadDeadlineError."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    at, seconds = deadline
    left = at - time.monotonic()
    if left <= 0:
        raise DownloadDeadlineError(f"the download deadline of {seconds:g} s passed "
                                    "(download_deadline= sets it)")
    return min(timeout, left)


def _fetch(url: str, timeout: float) -> bytes:
    """The body at ``url``; the one place that touches the network (tests replace it).

    ``timeout``: the longest single wait (connecting, or for the next bytes); the whole body
    must also come before the deadline of the download in progress (:func:`_download`), however
    slowly the server keeps sending: it is read in chunks, the deadline checked before each.
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=_wait(timeout)) as response:
        # the socket, to shorten its timeout to the time left (plain and TLS alike)
        sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
        chunks: list[bytes] = []
        while True:
            wait = _wait(timeout)
            if sock is not None:
                sock.settimeout(wait)
            try:
                chunk = response.read1(_READ_CHUNK)  # what one receive brings: never waits for more
            except TimeoutError:
                _wait(timeout)  # the wait was cut at the deadline: say so, not "timed out"
                raise
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _download_file(
    name: str, stem: str, folder: Path, tried: list[str], errors: list[str]
) -> Path | None:
    """Fetch ``stem.gz`` into ``folder`` from the first mirror that gives the right data.

    URLs tried are appended to ``tried``, failures to ``errors`` as "url: reason";
    returns None when every mirror failed.
    """
    target = folder / f"{stem}.gz"
    for base in MIRRORS[name]:
        deadline = _DEADLINE.get()
        if deadline is not None and time.monotonic() >= deadline[0]:
            break  # the deadline passed (its error is in errors): no other mirror is tried
        url = f"{base}{stem}.gz"
        tried.append(url)
        log.info("downloading %s", url)
        tmp: str | None = None
        try:
            data = _fetch(url, DOWNLOAD_TIMEOUT)
            folder.mkdir(parents=True, exist_ok=True)
            # 1. Write beside the target, so the rename below is atomic (same file system).
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{stem}.", suffix=".part")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            # 2. Check what was written before anyone can see it under the real name.
            sha = decompressed_sha256(tmp)
            if sha != SHA256[name][stem]:
                raise DataFileError(
                    f"wrong SHA-256 of the decompressed data: expected {SHA256[name][stem]}, "
                    f"got {sha}"
                )
            # 3. Publish.
            os.replace(tmp, target)
            tmp = None
            return target
        except (OSError, http.client.HTTPException, DataFileError) as e:
            errors.append(f"{url}: {e}")
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
    return None


def _download(name: str, split: str, deadline: float = DOWNLOAD_DEADLINE
              ) -> tuple[Path | None, list[str], list[str]]:
    """Download the files of ``split`` missing from the cache within ``deadline`` seconds in
    all: (folder or None, urls, errors)."""
    folder = cache_dir(name)
    urls: list[str] = []
    errors: list[str] = []
    token = _DEADLINE.set((time.monotonic() + deadline, deadline))
    try:
        for stem in FILES[split]:
            if _find_file(folder, stem):
                continue
            if _download_file(name, stem, folder, urls, errors) is None:
                return None, urls, errors
        return folder, urls, errors
    finally:
        _DEADLINE.reset(token)


def _not_found(
    name: str, split: str, root: str | os.PathLike[str] | None, download: bool,
    urls: list[str], errors: list[str],
) -> DatasetNotFoundError:  # fmt: skip
    """One error naming every place searched, in order, and how to provide the files."""
    places = _candidates(name, root)
    searched = [str(folder) for folder, _ in places]
    where = "; ".join(f"{i}. {folder} ({why})" for i, (folder, why) in enumerate(places, 1))
    stems = " and ".join(FILES[split])
    parts = [f"{name} {split} split not found ({stems}, raw or .gz). Searched, in order: {where}"]
    if root is not None:
        parts.append("Only root= was searched, because it was given")
        how = f"put the files in {root} or in {Path(root) / name}"
    else:
        if not os.environ.get("NEURALZOO_DATA"):
            parts.append("$NEURALZOO_DATA is not set")
        if not download:
            parts.append("Nothing was downloaded (download=False)")
        elif errors:
            parts.append(f"Download into {cache_dir(name)} failed: " + "; ".join(errors))
        files = ", ".join(f"{stem}.gz" for pair in FILES.values() for stem in pair)
        how = (f"download {files} (e.g. from {MIRRORS[name][0]}) and put them in {cache_dir(name)}, "
               f"or in /path/{name}/ and set NEURALZOO_DATA=/path, or pass root=/path/to/folder")
        if name == "fashion-mnist":
            how += ", or run `apt-get install dataset-fashion-mnist`"
        if not download:
            how += ", or pass download=True"
    parts.append(f"To provide the files: {how}")
    return DatasetNotFoundError(". ".join(parts) + ".", searched=searched, mirrors=urls)


# 4. The entry point.


def load_split(
    name: str, split: str, root: str | os.PathLike[str] | None = None, download: bool = True,
    deadline: float = DOWNLOAD_DEADLINE,
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 28, 28)`` uint8 and labels ``(N,)`` uint8 of ``split``, checked.

    The arrays are shared and read-only (``name`` and ``split`` are checked by the caller).
    A download, if one is needed, must end within ``deadline`` seconds in all.
    """
    if not deadline > 0:
        raise ValueError(f"download deadline must be > 0 seconds, got {deadline!r}")
    folder, _ = locate(name, (split,), root)
    if folder is None and root is None and download:
        folder, urls, errors = _download(name, split, deadline)
    else:
        urls, errors = [], []
    if folder is None:
        raise _not_found(name, split, root, download, urls, errors)
    images_path, labels_path = (_require_file(folder, stem) for stem in FILES[split])
    images = _read_checked(name, images_path)
    labels = _read_checked(name, labels_path)
    _check_pair(images, labels, images_path, labels_path)
    return images, labels
