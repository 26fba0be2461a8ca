"""Console lines that fit the terminal: long lines wrapped, never a name cut.

Tables keep their columns: a line too long continues under the start of its last column (a QC
reason, a note), other lines under their own indent plus four. Words are never broken, so a gene
or sample name always reads whole. The `assay` command wraps at 100 columns (a narrower
terminal's width), in a file or a pipe too; ``--wide`` leaves lines whole (for scripts).

>>> wrap_line("--  " + "-" * 50, width=40) == "--  " + "-" * 36
True
>>> print(wrap_line("GAPDH  liver  1.00  " + "a reason " * 6, width=40))
GAPDH  liver  1.00  a reason a reason a
                    reason a reason a
                    reason a reason
"""

from __future__ import annotations

import re
import textwrap
from typing import TextIO

WIDTH = 100  # the widest a console line is written
_FIELD = re.compile(r"\S  +(?=\S)")  # two or more spaces between fields: a table's column gap


def wrap_line(line: str, width: int = WIDTH) -> str:
    """`line` wrapped to `width` columns (newlines between the parts), words kept whole."""
    if len(line) <= width:
        return line
    if not line.strip(" -="):  # a table's rule under its header: cut to the width
        return line[:width].rstrip()
    indent = len(line) - len(line.lstrip(" "))
    starts = [m.end() for m in _FIELD.finditer(line) if m.end() <= width - 20]
    hang = starts[-1] if starts and starts[-1] > indent else indent + 4
    head, rest = (line[:hang], line[hang:]) if hang > indent + 4 else (line[:indent], line[indent:])
    parts = textwrap.wrap(rest, width=width - max(hang, len(head)), break_long_words=False,
                          break_on_hyphens=False)  # fmt: skip
    first = head + parts[0] if parts else head
    return "\n".join([first, *(" " * hang + part for part in parts[1:])])


class Wrapped:
    """A text stream that writes whole lines to `stream`, each wrapped by `wrap_line`."""

    def __init__(self, stream: TextIO, width: int = WIDTH) -> None:
        self.stream = stream
        self.width = width
        self._pending = ""

    def write(self, text: str) -> int:
        """Take `text`; write each line it completes, wrapped."""
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self.stream.write(wrap_line(line, self.width) + "\n")
        return len(text)

    def flush(self) -> None:
        """Flush the stream (a line not yet complete stays until its end)."""
        self.stream.flush()

    def close(self) -> None:
        """Write what is left of the last line."""
        if self._pending:
            self.stream.write(wrap_line(self._pending, self.width))
            self._pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        """Whether the stream is a terminal."""
        return self.stream.isatty()

    def fileno(self) -> int:
        """The stream's file descriptor."""
        return self.stream.fileno()
