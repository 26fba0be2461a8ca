"""The `assay` command: argument parsing and printing only, over the library."""

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the `assay` command in-process (see `assay.cli.main.main`)."""
    from assay.cli.main import main as run

    return run(argv)
