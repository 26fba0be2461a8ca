"""A small progress display for long work, on standard error.

On a terminal it redraws one line ("fetching 3/5 NM_002046.7"); elsewhere (logs, CI) it writes a
line per step, so nothing is lost and nothing floods.
"""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Report `step` of `total` with a label.

    Args:
        total: Number of steps.
        what: Verb shown before the count ("fetching").
        stream: Where to write (default: standard error).
    """

    def __init__(self, total: int, what: str, stream: TextIO | None = None) -> None:
        self.total = total
        self.what = what
        self.stream = stream or sys.stderr
        self.done = 0
        self._tty = self.stream.isatty()
        self._finished = False

    def step(self, label: str) -> None:
        """Announce the next step."""
        self.done += 1
        width = len(str(self.total))
        bar = ""
        if self._tty:
            filled = round(20 * self.done / max(self.total, 1))
            bar = "[" + "#" * filled + "." * (20 - filled) + "] "
        text = f"{bar}{self.what} {self.done:>{width}}/{self.total} {label}"
        if self._tty:
            self.stream.write("\r" + text.ljust(72))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the display (a newline on a terminal)."""
        if self._tty and self.done and not self._finished:
            self.stream.write("\n")
            self.stream.flush()
        self._finished = True
