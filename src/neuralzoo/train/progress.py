"""A rich progress bar on stderr: epoch, loss, the validation metric, samples/s, the time
elapsed and the estimated time left (ETA: the batches left at the recent speed).

Updates are throttled to ten a second so that the bar costs nothing measurable, even with
thousands of tiny batches per epoch.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress


class Progress:
    """Context manager around ``rich.progress.Progress``; a no-op when disabled."""

    def __init__(self, *, enabled: bool, total: int, description: str) -> None:
        self.enabled = enabled
        self.total = total
        self.description = description
        self._done = 0
        self._shown = 0
        self._last = 0.0
        self._fields: dict[str, Any] = {}
        self._bar: RichProgress | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),  # from the speed of the last 30 s of batches
                console=Console(file=sys.stderr),
                transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total, info="")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._flush()
            self._bar.__exit__(*exc)

    def _info(self) -> str:
        f = self._fields
        parts = [f"epoch {f.get('epoch', '?')}/{f.get('epochs', '?')}"]
        if "loss" in f:
            parts.append(f"loss {f['loss']:.4g}")
        for key in ("val_acc", "val_loss"):
            if key in f:
                parts.append(f"{key} {f[key]:.4g}")
        if "samples_per_s" in f:
            parts.append(f"{f['samples_per_s']:,.0f} samples/s")
        return "  ".join(parts)

    def _flush(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=self._done - self._shown, info=self._info())
            self._shown = self._done

    def advance(self, steps: int = 1, **fields: Any) -> None:
        """``steps`` batches done; ``fields`` (epoch, epochs, loss, ...) shown beside the bar."""
        if self._bar is None:
            return
        self._done += steps
        now = time.monotonic()
        if now - self._last >= 0.1:
            self._fields.update(fields)
            self._last = now
            self._flush()

    def epoch_done(self, metrics: dict[str, Any]) -> None:
        """An epoch ended: show its metrics."""
        if self._bar is None:
            return
        self._fields.update({k: v for k, v in metrics.items() if isinstance(v, (int, float))})
        self._flush()
