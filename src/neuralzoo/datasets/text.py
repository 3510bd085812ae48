"""Character corpora for language models: any UTF-8 text file, tiny-shakespeare by name.

A corpus is read whole, its vocabulary is the sorted set of its characters (char-rnn's
convention), and it is split by position: the first 95% for training, the last 5% for
validation (char-rnn's 95/5). :func:`windows` cuts a split into consecutive windows of
``seq_len`` characters, the targets being the same windows one character later::

    X[k] = ids[k S : k S + S],     Y[k] = ids[k S + 1 : k S + S + 1]

``tinyshakespeare`` is looked for in ``root``, then ``$NEURALZOO_DATA/tinyshakespeare/input.txt``,
then ``~/.cache/neuralzoo/tinyshakespeare/input.txt`` (it is never downloaded).

>>> c = Corpus.from_text("abcab")
>>> c.vocab, c.ids.tolist()
('abc', [0, 1, 2, 0, 1])
>>> X, Y = windows(c.ids, 2)
>>> X.tolist(), Y.tolist()
([[0, 1], [2, 0]], [[1, 2], [0, 1]])
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

CORPORA = {"tinyshakespeare": "input.txt"}  # name -> file in its folder
VAL_FRACTION = 0.05
DEFAULT_SEQ_LEN = 50


class TextFileError(ValueError):
    """A text file that cannot serve as a corpus (missing, empty, not UTF-8)."""


def places_of(name: str, root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where the file of the known corpus ``name`` is looked for, in order: under ``root`` if
    given, else ``$NEURALZOO_DATA/<name>/`` and the user cache."""
    file = CORPORA[name]
    if root is not None:
        return [Path(root) / name / file, Path(root) / file]
    env = os.environ.get("NEURALZOO_DATA")
    places = [Path(env).expanduser() / name / file] if env else []
    return [*places, Path.home() / ".cache" / "neuralzoo" / name / file]


def locate(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The file of corpus ``name`` (a known name or a path to a text file)."""
    if name not in CORPORA:
        path = Path(name).expanduser()
        if not path.is_file():
            raise TextFileError(f"{name}: no such text file: expected a path to a UTF-8 text file "
                                f"or one of {', '.join(CORPORA)}")
        return path
    places = places_of(name, root)
    for p in places:
        if p.is_file():
            return p
    raise TextFileError(f"{name} not found: looked in {', '.join(map(str, places))}; "
                        f"set NEURALZOO_DATA=/path with /path/{name}/{CORPORA[name]}, or pass the file's path")


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a UTF-8 file; an empty or non-UTF-8 file is refused with the byte offset."""
    path = Path(path)
    data = path.read_bytes()
    if not data:
        raise TextFileError(f"{path}: the text file is empty: expected at least 2 characters")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TextFileError(f"{path}: not UTF-8 text: byte 0x{data[e.start]:02x} at byte offset "
                            f"{e.start} ({e.reason})") from None
    if len(text) < 2:
        raise TextFileError(f"{path}: expected at least 2 characters of text, got {len(text)}")
    return text


@dataclass
class Corpus:
    """A text, its vocabulary (sorted distinct characters) and its character ids."""

    text: str
    vocab: str
    ids: torch.Tensor  # (len(text),) int64

    @classmethod
    def from_text(cls, text: str) -> Corpus:
        vocab = "".join(sorted(set(text)))
        index = {ch: i for i, ch in enumerate(vocab)}
        return cls(text, vocab, torch.tensor([index[ch] for ch in text], dtype=torch.long))

    @classmethod
    def load(cls, name: str, root: str | os.PathLike[str] | None = None) -> Corpus:
        return cls.from_text(read_text(locate(name, root)))

    def split(self, split: str, val_fraction: float = VAL_FRACTION) -> torch.Tensor:
        """The ids of ``split``: "train" (first 95%) or "test"/"val" (last 5%)."""
        n_val = max(2, int(round(len(self.ids) * val_fraction)))
        if split == "train":
            return self.ids[:-n_val]
        if split in ("test", "val"):
            return self.ids[-n_val:]
        raise ValueError(f"unknown split {split!r}: expected 'train', 'test' or 'val'")


def windows(ids: torch.Tensor, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Consecutive windows ``X`` (N, S) and their next characters ``Y`` (N, S)."""
    if seq_len < 1:
        raise ValueError(f"seq_len must be at least 1, got {seq_len}")
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise ValueError(f"the text is too short for windows of {seq_len} characters: "
                         f"got {len(ids)} characters (need at least {seq_len + 1})")
    X = ids[: n * seq_len].reshape(n, seq_len)  # (N, S)
    Y = ids[1: n * seq_len + 1].reshape(n, seq_len)  # (N, S)
    return X.clone(), Y.clone()


def load(name: str, split: str = "train", *, seq_len: int | None = None,
         root: str | os.PathLike[str] | None = None) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """``(X, Y, spec)`` of a corpus split cut into windows; ``spec`` tells a model how to read it."""
    corpus = Corpus.load(name, root)
    X, Y = windows(corpus.split(split), seq_len or DEFAULT_SEQ_LEN)
    V = len(corpus.vocab)
    spec = {"input_size": V, "output_size": V, "task": "sequence", "vocab": corpus.vocab}
    return X, Y, spec
