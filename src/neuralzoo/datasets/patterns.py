"""Small binary pattern sets of the energy-model literature, built exactly (no randomness).

``bars_and_stripes(n)``: every n x n image whose rows are all equal (vertical bars) or whose
columns are all equal (horizontal stripes), flattened row by row. There are ``2^n`` of each
kind; the all-off and all-on images are both, so ``2^(n+1) - 2`` distinct patterns
(MacKay 2003; used for small Boltzmann machines since it is exactly enumerable).

``encoder_patterns(n_in)``: the encoder problem of Ackley, Hinton & Sejnowski (1985): ``n_in``
patterns of ``2 n_in`` units, pattern ``k`` one-hot at unit ``k`` of the input group and at
unit ``k`` of the output group.

>>> bars_and_stripes(2).tolist()
[[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]]
>>> encoder_patterns(2).tolist()
[[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
"""

from __future__ import annotations

import torch


def bars_and_stripes(n: int) -> torch.Tensor:
    """All ``2^(n+1) - 2`` distinct n x n bars-and-stripes patterns, float32 (P, n*n) of 0/1.

    Order: the ``2^n`` bar patterns (columns on/off, counting in binary, column 0 the most
    significant bit), then the stripe patterns (rows on/off) other than all-off and all-on.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if n > 12:
        raise ValueError(f"n must be <= 12 (2^(n+1) patterns of n*n units), got {n}")
    shifts = torch.arange(n - 1, -1, -1)
    codes = ((torch.arange(2**n)[:, None] >> shifts) & 1).float()  # (2^n, n)
    bars = codes[:, None, :].expand(-1, n, -1)  # (2^n, n, n): every row equals the code
    stripes = codes[1:-1, :, None].expand(-1, -1, n)  # (2^n - 2, n, n): every column equals it
    return torch.cat([bars, stripes]).reshape(-1, n * n).contiguous()  # (2^(n+1) - 2, n*n)


def encoder_patterns(n_in: int) -> torch.Tensor:
    """The ``n_in`` patterns of the n_in-H-n_in encoder problem, float32 (n_in, 2 n_in).

    Columns ``0 .. n_in-1`` are the input group, ``n_in .. 2 n_in - 1`` the output group;
    pattern ``k`` has unit ``k`` of each group on.
    """
    n_in = int(n_in)
    if n_in < 2:
        raise ValueError(f"n_in must be >= 2, got {n_in}")
    eye = torch.eye(n_in)
    return torch.cat([eye, eye], dim=1)  # (n_in, 2 n_in)
