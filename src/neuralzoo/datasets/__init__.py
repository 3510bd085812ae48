"""Data sets as tensors: ``load(name, split) -> (X, y)``.

=============  =======  ===========  ==========================================
name           shape    train/test   source
=============  =======  ===========  ==========================================
digits         1x8x8    1437/360     scikit-learn's bundled digits (no network);
                                     fixed split, see :mod:`.digits`
mnist          1x28x28  60000/10000  IDX files found on disk or downloaded,
fashion-mnist  1x28x28  60000/10000  see :mod:`.mnist` for where they are looked for
=============  =======  ===========  ==========================================

``X`` is float32 in [0, 1] (pixel / 16 for digits, pixel / 255 for the others), ``(N, D)``
with ``D = H * W`` when ``flatten=True`` (the default), else ``(N, 1, H, W)``; ``y`` is int64
``(N,)``. ``binarize="threshold"`` sets ``x > 0.5`` to 1 and the rest to 0 (the convention
"pixel/255 then thresholded at 0.5" of the binary-MNIST literature); ``binarize="sample"``
draws each pixel from Bernoulli(x) with a ``torch.Generator`` seeded by ``seed``, so one seed
gives one data set. Every call returns new tensors, which the caller may modify.

Sequence data — the adding problem and the copy task (generated, seeded), the
``tinyshakespeare`` corpus and any UTF-8 text file given by its path — is loaded by
:func:`load_sequences`; :func:`available` (``neuralzoo datasets``) lists all of them.

>>> from neuralzoo import datasets
>>> X, y = datasets.load("digits")
>>> X.shape, X.dtype, y.shape, y.dtype
(torch.Size([1437, 64]), torch.float32, torch.Size([1437]), torch.int64)
>>> X, y = datasets.load("digits", "test", binarize="threshold", flatten=False)
>>> X.shape, sorted(X.unique().tolist())
(torch.Size([360, 1, 8, 8]), [0.0, 1.0])
>>> datasets.names()
['digits', 'fashion-mnist', 'mnist']
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from . import digits as _digits
from . import mnist as _mnist
from . import sequences as _sequences
from . import text as _text
from .idx import DataFileError
from .mnist import DatasetNotFoundError
from .patterns import bars_and_stripes, encoder_patterns
from .sequences import is_sequence, load_sequences

__all__ = [
    "BINARIZE",
    "SPLITS",
    "DataFileError",
    "DatasetInfo",
    "DatasetNotFoundError",
    "available",
    "bars_and_stripes",
    "encoder_patterns",
    "is_sequence",
    "info",
    "load",
    "load_sequences",
    "names",
]

SPLITS: tuple[str, ...] = ("train", "test")
BINARIZE: tuple[str | None, ...] = (None, "threshold", "sample")
_THRESHOLD = 0.5


@dataclass
class DatasetInfo:
    """What a data set is and whether a copy is on this machine (found without downloading)."""

    name: str
    description: str
    shape: tuple[int, ...] | None  # one example: (C, H, W) of an image, (T, D) or (T,) of a sequence
    n_classes: int | None  # classes (tokens for the copy task); None: real targets, or the text's own
    class_names: tuple[str, ...]
    found: bool | None  # a complete copy (both splits) is on disk, embedded or generated; None: a form
    location: str | None  # where that copy is (or how it is made)
    searched: list[str] = field(default_factory=list)  # folders looked in, in order
    kind: str = "images"  # "images", "sequences" or "text"

    @property
    def shape_text(self) -> str:
        """``shape`` as ``1x8x8``; "—" where it depends on the file."""
        return "x".join(map(str, self.shape)) if self.shape else "—"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: what ``neuralzoo datasets --json`` prints for this data set."""
        out = asdict(self)
        out["shape"] = list(self.shape) if self.shape else None
        out["class_names"] = list(self.class_names)
        return out


_DESCRIPTIONS: dict[str, str] = {
    "digits": "8x8 handwritten digits bundled with scikit-learn (1797 images; fixed "
    "stratified split 1437 train / 360 test)",
    "mnist": "28x28 handwritten digits, LeCun et al. (60000 train / 10000 test)",
    "fashion-mnist": "28x28 Zalando article images in 10 classes, Xiao et al. 2017 "
    "(60000 train / 10000 test)",
}


def names() -> list[str]:
    """The names ``load`` accepts, sorted."""
    return sorted(_DESCRIPTIONS)


def _choices(values: tuple[str | None, ...] | list[str], quote: bool = False) -> str:
    return ", ".join(repr(v) if quote else str(v) for v in values)


def _check_name(name: str) -> None:
    if name not in _DESCRIPTIONS:
        raise ValueError(f"unknown dataset {name!r}: expected one of {_choices(names())}")


def info(name: str) -> DatasetInfo:
    """Describe ``name`` and say where a copy was found, looking on disk only."""
    _check_name(name)
    if name == "digits":
        return DatasetInfo(
            name=name,
            description=_DESCRIPTIONS[name],
            shape=(1, 8, 8),
            n_classes=len(_digits.CLASS_NAMES),
            class_names=_digits.CLASS_NAMES,
            found=True,
            location=_digits.location(),
            searched=[],
        )
    folder, searched = _mnist.locate(name, SPLITS)
    return DatasetInfo(
        name=name,
        description=_DESCRIPTIONS[name],
        shape=(1, _mnist.SIDE, _mnist.SIDE),
        n_classes=_mnist.N_CLASSES,
        class_names=_mnist.CLASS_NAMES[name],
        found=folder is not None,
        location=None if folder is None else str(folder),
        searched=searched,
    )


def _sequence_infos() -> list[DatasetInfo]:
    """The sequence data sets ``--data`` takes: the two generated tasks, the named corpus, and
    the form "a text file by its path"."""
    T = _sequences.DEFAULT_T
    generated = "generated, seeded (no files)"
    out = [
        DatasetInfo("adding", f"adding problem (Hochreiter & Schmidhuber 1997): the sum of the two marked "
                    f"values of T pairs; T={T['adding']} by default (data.seq_len); regression, baseline "
                    f"MSE {_sequences.ADDING_BASELINE_MSE:.3f}", (T["adding"], 2), None, (), True,
                    generated, kind="sequences"),
        DatasetInfo("copy", f"copy task (Arjovsky et al. 2016): recall 10 symbols after T blanks; "
                    f"T={T['copy']} by default (data.seq_len); sequences of T+20 tokens",
                    (T["copy"] + 2 * _sequences.COPY_LENGTH,), 10, (), True, generated, kind="sequences"),
    ]
    for name, file in _text.CORPORA.items():
        places = [str(p) for p in _text.places_of(name)]
        path = next((p for p in places if os.path.isfile(p)), None)
        out.append(DatasetInfo(name, f"character corpus ({file}; train: first 95%, test: last 5%); "
                               "never downloaded", None, None, (), path is not None, path, places,
                               kind="text"))
    out.append(DatasetInfo("FILE.txt", "any UTF-8 text file, as a character corpus: --data "
                           "PATH/TO/FILE (train: first 95%, test: last 5%)", None, None, (), None,
                           "the path given", kind="text"))
    return out


def available() -> list[DatasetInfo]:
    """Every data set ``--data`` takes, found or not — :func:`info` of the image sets, then the
    sequence ones (generated, a named corpus, any text file by path); downloads nothing."""
    return [info(name) for name in names()] + _sequence_infos()


def load(
    name: str,
    split: str = "train",
    *,
    binarize: str | None = None,
    seed: int = 0,
    flatten: bool = True,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    download_deadline: float = _mnist.DOWNLOAD_DEADLINE,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load one split of a data set as ``(X, y)`` tensors.

    Args:
        name: one of :func:`names`.
        split: "train" or "test".
        binarize: None (grey values in [0, 1]), "threshold" (``x > 0.5``) or "sample"
            (Bernoulli(x) drawn with a generator seeded by ``seed``).
        seed: seed of ``binarize="sample"``; unused otherwise.
        flatten: ``X`` of shape ``(N, H*W)`` if True, else ``(N, 1, H, W)``.
        root: folder holding the IDX files, or holding ``<name>/`` with them; when given,
            nothing else is searched. Ignored for "digits".
        download: fetch missing MNIST/Fashion-MNIST files into the user cache.
        download_deadline: seconds the whole download may take (every file, every mirror;
            120 by default), however slowly bytes keep coming.

    Returns:
        ``X`` float32 in [0, 1] and ``y`` int64 ``(N,)``.

    Raises:
        ValueError: unknown ``name``, ``split`` or ``binarize``.
        DatasetNotFoundError: no copy on disk and none could be downloaded.
        DataFileError: a file is damaged or not the expected one.
    """
    _check_name(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {_choices(SPLITS)}")
    if binarize not in BINARIZE:
        raise ValueError(
            f"unknown binarize {binarize!r}: expected one of {_choices(BINARIZE, quote=True)}"
        )

    images: np.ndarray  # (N, H, W) integers 0..scale, shared and read-only
    labels: np.ndarray  # (N,)
    if name == "digits":
        images, labels = _digits.load_split(split)
        scale = _digits.MAX_VALUE
    else:
        images, labels = _mnist.load_split(name, split, root=root, download=download,
                                           deadline=download_deadline)
        scale = _mnist.MAX_VALUE

    # astype copies, so the cached arrays never reach the caller.
    X = torch.from_numpy(images.astype(np.float32))  # (N, H, W)
    X /= scale
    y = torch.from_numpy(labels.astype(np.int64))  # (N,)
    if binarize == "threshold":
        X = (X > _THRESHOLD).to(torch.float32)
    elif binarize == "sample":
        generator = torch.Generator().manual_seed(seed)
        X = torch.bernoulli(X, generator=generator)
    n, h, w = X.shape
    X = X.reshape(n, h * w) if flatten else X.reshape(n, 1, h, w)  # (N, D) or (N, 1, H, W)
    return X, y
