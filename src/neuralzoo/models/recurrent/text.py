"""Character sampling of a recurrent language model: text in, ids out, tokens drawn one at a time
from ``softmax(o_t / temperature)`` and fed back as the next input (char-rnn)."""

from __future__ import annotations

import torch

from ...energy.sampling import as_generator
from ..base import model_device


class TextSampling:
    """``encode_text``, ``sample_tokens``, ``sample_text`` for a :class:`RecurrentNet` with
    ``task == "sequence"`` (its ``run``, ``vocab`` and ``task`` are the recurrent net's)."""

    def _text_vocab(self) -> str:
        """The characters of a text model; a model without them reads no text."""
        if self.vocab is None:
            raise ValueError(f"this {type(self).__name__} reads no text: expected a model trained on "
                             "characters (with a vocab)")
        return self.vocab

    def encode_text(self, text: str) -> torch.Tensor:
        """Character ids (T,) of ``text``; refuses characters outside the vocabulary."""
        index = {ch: i for i, ch in enumerate(self._text_vocab())}
        for pos, ch in enumerate(text):
            if ch not in index:
                raise ValueError(f"the prompt has a character the model has never seen: {ch!r} at "
                                 f"position {pos} (its vocabulary holds {len(index)} characters)")
        return torch.tensor([index[ch] for ch in text], dtype=torch.long)

    def sample_tokens(self, prompt: torch.Tensor, n: int, *, temperature: float = 1.0,
                      generator: torch.Generator | int | None = None) -> torch.Tensor:
        """Continue the token sequence ``prompt`` (T0,) by ``n`` tokens drawn one at a time from
        ``softmax(o_t / temperature)``, each fed back as the next input; returns (n,).
        ``generator``: a CPU ``torch.Generator``, an int seed or None (torch's global RNG)."""
        if self.task != "sequence":
            raise ValueError("sampling: expected a sequence model (a language model), "
                             f"got task {self.task!r}")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if n < 0:
            raise ValueError(f"the number of tokens to sample must be >= 0, got {n}")
        if len(prompt) == 0:
            raise ValueError("the prompt is empty: expected at least one character to start from")
        self._check_fitted()
        generator = as_generator(generator)  # the draws are made on the CPU, whatever the device
        device = model_device(self)
        was_training = self.training
        self.eval()
        out = torch.empty(n, dtype=torch.long)
        try:
            with torch.no_grad():
                o, state = self.run(prompt.to(device)[None])  # (1, T0, C)
                for t in range(n):
                    p = torch.softmax(o[0, -1].double().cpu() / temperature, dim=0)
                    out[t] = torch.multinomial(p, 1, generator=generator)[0]
                    o, state = self.run(out[t:t + 1].to(device)[None], state)
        finally:
            self.train(was_training)
        return out

    def sample_text(self, prompt: str | None = None, n: int = 200, *, temperature: float = 1.0,
                    generator: torch.Generator | int | None = 0) -> str:
        """``prompt`` followed by ``n`` sampled characters; one seed gives one text (``generator``:
        a CPU ``torch.Generator``, an int seed — default 0 — or None, torch's global RNG).
        Without a prompt the text starts from a newline (or the first character of the vocabulary)."""
        vocab = self._text_vocab()
        if prompt is None:
            prompt = "\n" if "\n" in vocab else vocab[0]
        ids = self.sample_tokens(self.encode_text(prompt), n, temperature=temperature, generator=generator)
        return prompt + "".join(vocab[i] for i in ids.tolist())
