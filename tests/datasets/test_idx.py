"""IDX reading and writing, checked against hand-built files of the published format."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

from neuralzoo.datasets.idx import DataFileError, decompressed_sha256, read_idx, write_idx


def _idx_bytes(code: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    """An IDX file built by hand from the format description (the oracle)."""
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4), (2, 1, 3, 2)])
def test_round_trip(tmp_path, dtype, compress, shape):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        a = rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    else:
        a = rng.standard_normal(shape).astype(dtype)
    path = tmp_path / "a-idx"
    write_idx(path, a, gzip=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    b = read_idx(path)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(b, a)
    assert b.flags.writeable


def test_reads_hand_built_big_endian_file(tmp_path):
    values = [1, -2, 300, -32768]
    path = tmp_path / "short-idx1"
    path.write_bytes(_idx_bytes(0x0B, (4,), struct.pack(">4h", *values)))
    np.testing.assert_array_equal(read_idx(path), np.array(values, dtype=np.int16))


def test_writes_the_published_layout(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, np.array([5, 0, 4], dtype=np.uint8))
    assert path.read_bytes() == b"\x00\x00\x08\x01" + b"\x00\x00\x00\x03" + b"\x05\x00\x04"


def test_gzip_detected_by_magic_not_name(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    raw_named_gz = tmp_path / "raw.gz"
    gz_named_raw = tmp_path / "compressed-idx"
    write_idx(raw_named_gz, a, gzip=False)
    write_idx(gz_named_raw, a, gzip=True)
    np.testing.assert_array_equal(read_idx(raw_named_gz), a)
    np.testing.assert_array_equal(read_idx(gz_named_raw), a)


def test_sha256_is_of_decompressed_bytes(tmp_path):
    a = np.arange(100, dtype=np.uint8)
    write_idx(tmp_path / "raw", a)
    write_idx(tmp_path / "gz", a, gzip=True)
    expected = hashlib.sha256((tmp_path / "raw").read_bytes()).hexdigest()
    assert decompressed_sha256(tmp_path / "raw") == expected
    assert decompressed_sha256(tmp_path / "gz") == expected


GOOD = _idx_bytes(0x08, (2, 3), bytes(range(6)))


@pytest.mark.parametrize(
    "data, match",
    [
        (b"\x01\x02" + GOOD[2:], r"expected the first two bytes to be 00 00, got 01 02"),
        (GOOD[:2] + b"\x07" + GOOD[3:], r"type code: expected one of 0x08.*got 0x07"),
        (GOOD[:3] + b"\x00", r"dimension count: expected 1 to 4, got 0"),
        (GOOD[:3] + b"\x05" + GOOD[4:], r"dimension count: expected 1 to 4, got 5"),
        (GOOD[:2], r"truncated IDX header: expected at least 4 bytes, got 2"),
        (GOOD[:9], r"truncated IDX header: expected 12 bytes for 2 dimensions, got 9"),
        (GOOD[:-1], r"truncated IDX file: expected 18 bytes .*got 17"),
        (GOOD + b"\x00\x00", r"trailing bytes after IDX data: expected 18 bytes .*got 20"),
    ],
    ids=["magic", "dtype", "ndim0", "ndim5", "short-header", "short-dims", "truncated", "trailing"],
)
@pytest.mark.parametrize("compress", [False, True])
def test_bad_files_are_refused_with_path(tmp_path, data, match, compress):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DataFileError, match=match) as err:
        read_idx(path)
    assert str(err.value).startswith(f"{path}: ")
    assert isinstance(err.value, ValueError)


def test_corrupt_gzip_is_refused_with_path(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(GOOD * 100)[:-20])
    with pytest.raises(DataFileError, match="corrupt gzip") as err:
        read_idx(path)
    assert str(path) in str(err.value)
    with pytest.raises(DataFileError, match="corrupt gzip"):
        decompressed_sha256(path)


@pytest.mark.parametrize(
    "array, match",
    [
        (np.zeros(3, dtype=np.int64), "cannot hold dtype int64"),
        (np.zeros(3, dtype=bool), "cannot hold dtype bool"),
        (np.zeros((1,) * 5, dtype=np.uint8), "1 to 4 dimensions, got 5"),
        (np.uint8(3), "1 to 4 dimensions, got 0"),
    ],
)
def test_write_refuses_what_idx_cannot_hold(tmp_path, array, match):
    with pytest.raises(ValueError, match=match):
        write_idx(tmp_path / "x", array)
    assert not (tmp_path / "x").exists()
