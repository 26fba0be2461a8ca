"""The one exception hierarchy of assay, with messages a biologist can act on.

Every error a user can cause derives from `AssayError`; the CLI maps them to exit codes in one
place (`InputError` is bad input, exit 2; anything else is a failed run, exit 1).

>>> str(InputError("not a number", path="ct.csv", row=14, column="ct", value="27,3x"))
'ct.csv, row 14, column "ct": "27,3x": not a number'
"""

from __future__ import annotations

from pathlib import Path


class AssayError(Exception):
    """Base of every error assay raises on purpose."""


class InputError(AssayError):
    """A file, table or option given by the user is unusable.

    The message names where the fault is (file, row, column) and the value received, so the user
    can find it without a traceback. Rows are counted as a spreadsheet user counts them: the header
    is row 1 and the first data row is row 2.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.reason = message
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        self.value = value
        super().__init__(self._render())

    def _render(self, with_path: bool = True) -> str:
        path = self.path if with_path else None
        where = [part for part in (path, self._row_text(), self._column_text()) if part]
        prefix = ", ".join(where)
        shown = "" if self.value is None else f'"{self.value}": '
        return f"{prefix}: {shown}{self.reason}" if prefix else f"{shown}{self.reason}"

    def within_file(self) -> str:
        """The message without the file's name: row, column, value and reason.

        For a line printed under the file's name.

        >>> InputError("is empty", path="ct.csv", row=4, column="gene").within_file()
        'row 4, column "gene": is empty'
        """
        return self._render(with_path=False)

    def _row_text(self) -> str | None:
        return None if self.row is None else f"row {self.row}"

    def _column_text(self) -> str | None:
        return None if self.column is None else f'column "{self.column}"'


class RecordNotFound(AssayError):  # noqa: N818  # the name STYLE.md gives it
    """A reference record is neither in the cache nor obtainable (for example when offline)."""


class UnknownAccession(RecordNotFound):
    """NCBI answered, for good, that it holds no record of this accession: never retried."""


class FetchError(AssayError):
    """NCBI could not be reached or answered with something that cannot be trusted."""


class NoNetworkError(FetchError):
    """NCBI's host cannot be resolved or connected to: the run goes on with what is on disk."""


class CacheError(AssayError):
    """The on-disk record cache cannot be read or written."""
