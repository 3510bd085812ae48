"""Character corpora: vocabulary, split, windows, and the refusal of empty / non-UTF-8 files."""

from __future__ import annotations

import pytest
import torch

from neuralzoo.datasets import text


def test_corpus_split_and_windows(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("hello world, " * 20, encoding="utf-8")
    X, Y, spec = text.load(str(path), "train", seq_len=10)
    corpus = text.Corpus.load(str(path))
    assert spec == {"input_size": len(corpus.vocab), "output_size": len(corpus.vocab),
                    "task": "sequence", "vocab": "".join(sorted(set(corpus.text)))}
    train, val = corpus.split("train"), corpus.split("test")
    assert len(train) + len(val) == 260 and len(val) == 13  # 95 / 5, by position
    assert torch.equal(torch.cat([train, val]), corpus.ids)
    assert X.shape == (24, 10) and torch.equal(X[:, 1:], Y[:, :-1]) and torch.equal(X[1:, 0], Y[:-1, -1])
    assert "".join(corpus.vocab[i] for i in X[0]) == "hello worl"


def test_refuses_empty_and_non_utf8_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(text.TextFileError, match="the text file is empty"):
        text.load(str(empty))
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf" + "\xe9 au lait".encode("latin-1"))
    with pytest.raises(text.TextFileError, match=r"not UTF-8 text: byte 0xe9 at byte offset 3"):
        text.load(str(bad))
    with pytest.raises(text.TextFileError, match="no such text file"):
        text.load(str(tmp_path / "missing.txt"))
    with pytest.raises(ValueError, match="seq_len must be at least 1"):
        text.windows(torch.arange(10), 0)
    with pytest.raises(ValueError, match="too short"):
        text.windows(torch.arange(5), 10)


def test_tinyshakespeare_not_found_names_the_places(monkeypatch, tmp_path):
    monkeypatch.setenv("NEURALZOO_DATA", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(text.TextFileError, match="tinyshakespeare not found: looked in"):
        text.locate("tinyshakespeare")
