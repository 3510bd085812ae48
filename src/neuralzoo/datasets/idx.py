"""The IDX file format of MNIST and Fashion-MNIST: reading, writing, checksums.

An IDX file (LeCun, Cortes & Burges, http://yann.lecun.com/exdb/mnist/) is a header
followed by one array in C order, every number big-endian::

    offset  size  content
    0       2     two zero bytes
    2       1     data type code: 0x08 ubyte, 0x09 byte, 0x0B short (2 bytes),
                  0x0C int (4 bytes), 0x0D float (4 bytes), 0x0E double (8 bytes)
    3       1     number of dimensions d (1 to 4 here)
    4       4*d   the size of each dimension, unsigned 32-bit
    4+4*d   ...   prod(sizes) items of the data type

MNIST's ``train-images-idx3-ubyte`` is ``00 00 08 03``, then 60000, 28, 28, then
47,040,000 pixel bytes (0 background .. 255 ink); a labels file is ``00 00 08 01``, then N,
then N bytes 0..9. The files are usually distributed gzip-compressed; :func:`read_bytes`
recognises gzip by its magic bytes ``1f 8b`` (not by the file name), so a ``.gz`` name holding
raw bytes, or the reverse, is read correctly.

Every problem with a file's content raises :class:`DataFileError`, whose message starts with
the path and says what was expected and what came.

Example, a round trip through a temporary file:

>>> import tempfile, numpy as np
>>> path = tempfile.mkdtemp() + "/labels-idx1-ubyte.gz"
>>> write_idx(path, np.array([5, 0, 4], dtype=np.uint8), gzip=True)
>>> read_idx(path)
array([5, 0, 4], dtype=uint8)
"""

from __future__ import annotations

import gzip as _gzip
import hashlib
import math
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "DTYPES",
    "DataFileError",
    "decompressed_sha256",
    "parse_idx",
    "read_bytes",
    "read_idx",
    "write_idx",
]

# IDX type code -> big-endian NumPy dtype of the items.
DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES: dict[str, int] = {dt.newbyteorder("=").str: code for code, dt in DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_DIMS = 4
_CHUNK = 1 << 20


class DataFileError(ValueError):
    """A data file whose content is wrong; the message names the file and the fault."""


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The content of ``path``, decompressed when it starts with the gzip magic ``1f 8b``."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return _gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataFileError(f"{path}: corrupt gzip data: {e}") from e


def decompressed_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of the file's decompressed bytes (of the raw bytes when not gzip).

    Pinning this, rather than the hash of the ``.gz`` file, accepts every recompression of
    the same data (mirrors and Debian's packages compress differently).
    """
    path = Path(path)
    h = hashlib.sha256()
    try:
        opener = _gzip.open if _is_gzip(path) else open
        with opener(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    except (EOFError, zlib.error, _gzip.BadGzipFile) as e:
        raise DataFileError(f"{path}: corrupt gzip data: {e}") from e
    return h.hexdigest()


def parse_idx(data: bytes, path: str | os.PathLike[str] = "<bytes>") -> np.ndarray:
    """Decode the (decompressed) bytes of an IDX file; ``path`` is only for messages.

    Returns a native-endian array that shares memory with ``data`` where it can, so it may
    be read-only; :func:`read_idx` returns a writable copy.
    """
    n = len(data)
    if n < 4:
        raise DataFileError(f"{path}: truncated IDX header: expected at least 4 bytes, got {n}")
    if data[0] != 0 or data[1] != 0:
        raise DataFileError(
            f"{path}: not an IDX file: expected the first two bytes to be 00 00, "
            f"got {data[0]:02x} {data[1]:02x}"
        )
    code, ndim = data[2], data[3]
    if code not in DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in DTYPES)
        raise DataFileError(
            f"{path}: unknown IDX data type code: expected one of {known}, got 0x{code:02X}"
        )
    if not 1 <= ndim <= _MAX_DIMS:
        raise DataFileError(
            f"{path}: unsupported IDX dimension count: expected 1 to {_MAX_DIMS}, got {ndim}"
        )
    header = 4 + 4 * ndim
    if n < header:
        raise DataFileError(
            f"{path}: truncated IDX header: expected {header} bytes for {ndim} dimensions, got {n}"
        )
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = DTYPES[code]
    expected = header + math.prod(shape) * dtype.itemsize
    if n != expected:
        fault = "truncated IDX file" if n < expected else "trailing bytes after IDX data"
        raise DataFileError(
            f"{path}: {fault}: expected {expected} bytes for shape {shape} of {dtype.name}, got {n}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file, gzip-compressed or raw, into a writable native-endian array."""
    arr = parse_idx(read_bytes(path), path)
    return arr if arr.flags.writeable else arr.copy()


def write_idx(path: str | os.PathLike[str], array: np.ndarray, gzip: bool = False) -> None:
    """Write ``array`` (1 to 4 dimensions, a dtype of :data:`DTYPES`) as an IDX file.

    ``gzip=True`` compresses the file whatever its name.
    """
    arr = np.asarray(array)
    key = arr.dtype.newbyteorder("=").str
    if key not in _CODES:
        known = ", ".join(dt.name for dt in DTYPES.values())
        raise ValueError(f"IDX cannot hold dtype {arr.dtype}: expected one of {known}")
    if not 1 <= arr.ndim <= _MAX_DIMS:
        raise ValueError(f"IDX arrays have 1 to {_MAX_DIMS} dimensions, got {arr.ndim}")
    code = _CODES[key]
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    data = header + np.ascontiguousarray(arr, dtype=DTYPES[code]).tobytes()
    if gzip:
        data = _gzip.compress(data, mtime=0)
    Path(path).write_bytes(data)
