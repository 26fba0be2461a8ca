"""Entry point of the `assay` command.

`main(argv)` parses arguments, runs one subcommand and returns the exit status, so tests call it
in-process. Exceptions are mapped to exit codes here and nowhere else: 0 success, 1 a failed run
or failed checks, 2 bad input or usage, 130 interrupted. Subcommand modules are imported only when
their subcommand runs, so `assay --help` never loads pandas, scipy or matplotlib.

>>> main(["--version"])  # doctest: +ELLIPSIS
assay ...
0
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn, Protocol, TextIO, cast

from assay import __version__
from assay.errors import AssayError, InputError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CommandModule(Protocol):
    """What a subcommand module under `assay.cli` provides."""

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """Add the subcommand's options to `parser`."""

    def run(self, args: argparse.Namespace) -> int:
        """Run the subcommand and return its exit status."""


# name -> (module under assay.cli, one-line help). Each module defines `configure(parser)` and
# `run(args) -> int`; it is imported only when its subcommand is chosen or its help is built.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "validate",
        "check a primer table: Tm and structures, binding to the cited RefSeq record, product "
        "size, exons and genomic DNA, transcript variants, off-targets in local databases",
    ),
    "design": (
        "design",
        "design qPCR primer pairs on RefSeq transcripts (across exon junctions), each checked as "
        "validate checks, off-targets included",
    ),
    "analyze": ("analyze", "relative expression (2^-ddCt) with statistics from a Ct table"),
    "viability": ("viability", "MTT viability (percent of control) from plate-reader absorbances"),
    "wells": (
        "wells",
        "show what was read from instrument exports (QuantStudio, StepOne, ABI 7900, CFX, "
        "LightCycler, RDML) and write the tidy table of wells",
    ),
    "curves": (
        "curves",
        "Cq, efficiency and starting quantity from raw amplification curves (LinRegPCR-style), "
        "and melt peaks against the amplicon's predicted Tm",
    ),
    "standards": (
        "standards",
        "a dilution series on its own: slope, efficiency with its CI, R², linear dynamic range, "
        "replicate SD per level and limit of detection per target",
    ),
    "refgenes": ("refgenes", "stability of candidate reference genes (geNorm M, NormFinder ρ)"),
    "fetch": ("fetch", "fill the record cache from NCBI ahead of time"),
    "serve": (
        "serve",
        "a local web page: drop instrument exports, pick from lists, get the report",
    ),
    "db": (
        "db",
        "organism databases (a genome and its transcripts) that validate and design screen "
        "every pair against: add, list, remove, path",
    ),
    "demo": (
        "demo",
        "run assay offline on the bundled example: Table 1 of Mirfendereski et al. 2024 and a "
        "worked Ct and OD example",
    ),
}


class _ShowDefaults(argparse.HelpFormatter):
    """Help that states each option's default, unless the help already says it or there is none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (
            "default" in text
            or not action.option_strings
            or action.default in (None, False, "", [], argparse.SUPPRESS)
        ):
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (the usage itself is in --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} ({self.prog} --help: the options)\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand's options."""
    parser = _Parser(
        prog="assay",
        description="RT-qPCR primer validation and analysis: check primer tables against "
        "RefSeq, turn Ct and OD data into statistics, figures and a report.",
    )
    parser.add_argument("--version", action="version", version=f"assay {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when something fails"
    )
    # --debug is taken after the subcommand too; there it only overrides when given.
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS,
        help="show the full traceback when something fails",
    )  # fmt: skip
    for where in (parser, common):  # read by `run` before parsing: console lines left whole
        where.add_argument("--wide", action="store_true", default=argparse.SUPPRESS,
                           help="print long console lines whole (default: wrapped at 100 "
                           "columns, or the terminal's width)")  # fmt: skip
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(
            name, help=help_text, description=help_text, parents=[common],
            formatter_class=_ShowDefaults,
        )  # fmt: skip
        _command_module(module_name).configure(sub)
    return parser


def _command_module(module_name: str) -> CommandModule:
    return cast(CommandModule, importlib.import_module(f"assay.cli.{module_name}"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `assay` command with `argv` (default: the process's arguments).

    Args:
        argv: Arguments after the program name.

    Returns:
        The exit status.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    module_name = SUBCOMMANDS[args.command][0]
    try:
        return _command_module(module_name).run(args)
    except KeyboardInterrupt:
        print("assay: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except AssayError as error:
        if args.debug:
            traceback.print_exc()
        print(f"assay {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, InputError) else EXIT_FAILED
    except BrokenPipeError:
        raise  # the reader went away: `run` ends quietly
    except OSError as error:  # a file or folder the user named cannot be read or written
        if args.debug:
            traceback.print_exc()
        print(f"assay {args.command}: error: {_os_message(error)}", file=sys.stderr)
        return EXIT_USAGE


def _os_message(error: OSError) -> str:
    """Say which path failed and why, in words (no errno, no traceback)."""
    why = error.strerror or type(error).__name__
    paths = [p for p in (error.filename, error.filename2) if p is not None]
    where = " -> ".join(str(p) for p in paths)
    return f"{where}: {why}" if where else why


def run() -> NoReturn:
    """Console-script entry point: long lines are wrapped (`console`) unless --wide is given."""
    wrapped = None
    if "--wide" not in sys.argv[1:]:
        import shutil

        from assay.cli.console import WIDTH, Wrapped

        columns = shutil.get_terminal_size((WIDTH, 24)).columns if sys.stdout.isatty() else WIDTH
        wrapped = Wrapped(sys.stdout, min(WIDTH, max(60, columns)))
        sys.stdout = cast(TextIO, wrapped)
    try:
        status = main()
        if wrapped is not None:
            wrapped.close()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`assay … | head`): not an error. Point stdout at devnull so that
        # Python's final flush does not complain again (as the Python docs on SIGPIPE advise).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 0
    sys.exit(status)
