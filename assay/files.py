"""Writing files and folders so that a failure never leaves a half-written one behind.

One way to write, used by every command: files through a temporary file in the same directory and
a rename, with the permissions the user's umask gives (a colleague or a web server can read a
report, as with any file the user makes); output folders are written as a fresh sibling and
swapped in whole when everything in them is written (`staged_folder`), so a run that fails or is
killed leaves the old results or the new ones, never a mix.

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "report.json"
>>> write_text_atomic(target, "{}")
>>> target.read_text()
'{}'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from assay.errors import InputError

# Written into every output folder: a folder that holds it (or is empty) may be replaced whole.
MARKER = ".assay-output"
_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process's umask (read by setting and restoring it, under a lock)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


@contextlib.contextmanager
def open_atomic(path: str | Path) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes `path` when the block ends without an error.

    Readers see either the old file or the whole new one, never a part; on any error the temporary
    file (a unique name beside `path`, so writers at once never collide) is removed and `path` is
    left as it was. The file gets mode 0666 less the umask, like any file the user creates (a
    temporary file alone would be 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` atomically (see `open_atomic`)."""
    with open_atomic(path) as handle:
        handle.write(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 `text` to `path` atomically (see `write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_texts_together(files: dict[str, str]) -> None:
    """Write several files (path -> UTF-8 text) so that they change together.

    Every file is written whole beside its path first (``.NAME.PID.*.part``); then a journal
    naming each part and its place is written beside the first path (``.NAME.PID.together``),
    the parts are renamed into place and the journal removed. A run stopped while writing leaves
    the old files (its parts are removed by the next run); one stopped among the renames leaves
    a journal, and the next run into the same first path finishes those renames (the new files,
    whole) before it writes: never a new JSON beside an old table. On an error nothing is
    renamed.
    """
    import json

    if not files:
        return
    first = Path(next(iter(files)))
    first.parent.mkdir(parents=True, exist_ok=True)
    finish_interrupted(first)
    staged: list[tuple[str, Path]] = []
    journal = first.with_name(f".{first.name}.{os.getpid()}.together")
    try:
        for name, text in files.items():
            target = Path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            clear_parts(target)
            fd, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part",
                                             prefix=f".{target.name}.{os.getpid()}.")  # fmt: skip
            staged.append((name, Path(temporary)))
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
                handle.flush()
                os.fchmod(handle.fileno(), 0o666 & ~_umask())
                os.fsync(handle.fileno())
        write_text_atomic(journal, json.dumps([[str(part), name] for name, part in staged]))
    except BaseException:
        for _, part in staged:
            part.unlink(missing_ok=True)
        raise
    for name, part in staged:
        os.replace(part, name)
    journal.unlink()


def finish_interrupted(first: Path) -> list[str]:
    """Finish the renames of a `write_texts_together` into `first` that was stopped midway.

    Returns what was done, in words. Journals of running processes are left alone.
    """
    import json

    done = []
    for journal in sorted(first.parent.glob(f".{first.name}.*.together")):
        if not _owner_gone(journal, first):
            continue
        try:
            moves = json.loads(journal.read_text())
        except (OSError, ValueError):
            moves = []
        for part, name in moves if isinstance(moves, list) else []:
            if Path(part).is_file():
                os.replace(part, name)
                done.append(f"finished writing {Path(name).name} (a run was stopped mid-rename)")
        journal.unlink(missing_ok=True)
    return done


def clear_parts(target: Path) -> None:
    """Remove the half-written parts (``.NAME.PID.*.part``) of `target` whose writer is gone."""
    for part in target.parent.glob(f".{target.name}.*.part"):
        # Only parts that name their writer: another process's atomic write is left alone.
        named = part.name[len(target.name) + 2 :].split(".", 1)[0].isdigit()
        if named and part.is_file() and _owner_gone(part, target):
            part.unlink(missing_ok=True)


def _replaceable(folder: Path) -> bool:
    """True when `folder` may be replaced: empty, or an output folder assay wrote."""
    entries = list(folder.iterdir())
    names = {e.name for e in entries}
    return not entries or MARKER in names or "analysis.json" in names


@contextlib.contextmanager
def staged_folder(target: str | Path) -> Iterator[Path]:
    """Yield a fresh folder beside `target` to write into; swap it in whole if the block succeeds.

    The old `target` (if any) is replaced only after every file is written; on an error or an
    interrupt the staged folder is removed and `target` stays as it was. Between the two renames
    of the swap (microseconds) the old folder sits beside it as ``.NAME.*.old``.

    Raises:
        InputError: `target` is a file, or a folder holding files assay did not write (it would
            be replaced whole: choose another folder).
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InputError("is a file, not a folder for results", path=target)
    if target.is_dir() and not _replaceable(target):
        raise InputError(
            "already holds files assay did not write; the results folder is replaced whole, so "
            "give a new or empty folder",
            path=target,
        )
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    clear_leftovers(target)
    prefix = f".{target.name}.{os.getpid()}."  # the writer's process: a leftover names its owner
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=prefix, suffix=".new"))
    try:
        os.chmod(staging, 0o777 & ~_umask())
        (staging / MARKER).write_text("written by assay; this folder is replaced whole\n")
        yield staging
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=parent, prefix=prefix, suffix=".old"))
            os.replace(target, old)  # an empty folder is replaced by a rename
            try:
                os.replace(staging, target)
            except BaseException:
                os.replace(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _owner_gone(folder: Path, target: Path) -> bool:
    """True when the process that made a staging folder of `target` is no longer running."""
    rest = folder.name[len(target.name) + 2 :]  # ".NAME." then PID.random.new|old
    pid_text = rest.split(".", 1)[0]
    if not pid_text.isdigit():
        return True  # an older assay's folder, or none of ours: nobody is writing it
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def clear_leftovers(target: Path) -> list[str]:
    """Tidy what a killed run left beside `target`; return what was done, in words.

    A staging folder (``.NAME.PID.*.new``) whose process is gone is removed; an old results
    folder (``.NAME.PID.*.old``) left by a run killed between its two renames is put back when
    `target` is missing (the previous results, whole), else removed. Folders of running
    processes are left alone.
    """
    done = []
    parent = target.parent
    for folder in sorted(parent.glob(f".{target.name}.*.new")):
        if folder.is_dir() and _owner_gone(folder, target):
            shutil.rmtree(folder, ignore_errors=True)
            done.append(f"removed {folder.name} (left by a run that was stopped)")
    for folder in sorted(parent.glob(f".{target.name}.*.old")):
        if not (folder.is_dir() and _owner_gone(folder, target)):
            continue
        if not target.exists():
            os.replace(folder, target)
            done.append(f"restored {target.name} from {folder.name} (a run was stopped mid-swap)")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            done.append(f"removed {folder.name} (left by a run that was stopped)")
    return done


def strict_json(value: object) -> str:
    """Return `value` as indented strict JSON: NaN and infinities become null (JSON has neither).

    >>> print(strict_json({"p": float("nan"), "n": [1, float("inf")]}), end="")
    {
      "p": null,
      "n": [
        1,
        null
      ]
    }
    """
    import json
    import math

    def clean(item: object) -> object:
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            return {key: clean(inner) for key, inner in item.items()}
        if isinstance(item, list | tuple):
            return [clean(inner) for inner in item]
        return item

    return json.dumps(clean(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
