"""`assay db`: organism databases (a genome and its transcripts) for screening primer pairs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay.primers.organisms import Installed


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the actions of `assay db`."""
    parser.add_argument(
        "--cache", metavar="DIR", type=Path,
        help="cache directory the databases live under (default: ASSAY_CACHE, else "
        "~/.cache/assay)",
    )  # fmt: skip
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add", help="install FASTA files at hand as a database (an organism NCBI lacks, an "
        "in-house assembly)",
        description="Index a genome and/or transcripts FASTA (.fa or .fa.gz) as the database "
        "NAME. validate and design then screen every pair of that organism against it.",
    )  # fmt: skip
    add.add_argument("name", help="the database's name, e.g. human, mouse, my-strain")
    add.add_argument("--genome", type=Path, metavar="FASTA", help="the genome assembly")
    add.add_argument("--transcripts", type=Path, metavar="FASTA",
                     help="the organism's transcripts (e.g. RefSeq RNA)")  # fmt: skip
    add.add_argument("--annotation", type=Path, metavar="GFF",
                     help="the genome's GFF3 (.gff or .gff.gz): its genes and pseudogenes name "
                     "what a genomic product lands in")  # fmt: skip
    add.add_argument("--organism", metavar="NAME",
                     help='"Genus species" (known for human, mouse, rat, ...)')  # fmt: skip
    add.add_argument(
        "--release", metavar="TEXT",
        help="its release or assembly, e.g. GRCh38.p14 (default: local-DATE)",
    )  # fmt: skip
    install = actions.add_parser(
        "install", help="download an organism's RefSeq genome and transcripts from NCBI and "
        "install them",
        description="Download the genome (_genomic.fna.gz) and RefSeq transcripts "
        "(_rna.fna.gz) of an assembly from NCBI's public distribution, check NCBI's MD5 "
        "checksums, and index them. An interrupted download resumes when run again.",
    )  # fmt: skip
    install.add_argument(
        "organism", help="human, mouse or rat (their current RefSeq assemblies), or an assembly "
        "accession such as GCF_000001635.27",
    )  # fmt: skip
    install.add_argument(
        "--from-url", metavar="URL",
        help="a mirror of https://ftp.ncbi.nlm.nih.gov/genomes/all (default: "
        "ASSAY_NCBI_GENOMES_URL, else NCBI's)",
    )  # fmt: skip
    install.add_argument("--offline", action="store_true", help="never download (refused)")
    actions.add_parser("list", help="the databases installed")
    remove = actions.add_parser("remove", help="remove a database (every release, or one)")
    remove.add_argument("name")
    remove.add_argument("--release", metavar="TEXT")
    path = actions.add_parser("path", help="print the folder of a database (for scripts)")
    path.add_argument("name", help="a database's name or organism")


def run(args: argparse.Namespace) -> int:
    """Carry out one action."""
    from assay.primers.cache import default_cache_dir
    from assay.primers.organisms import add_database, find, installed, remove

    cache = args.cache or default_cache_dir()
    if args.action == "add":
        database = add_database(
            cache, args.name, genome=args.genome, transcripts=args.transcripts,
            organism=args.organism, release=args.release, annotation=args.annotation,
            progress=lambda text: print(text, file=sys.stderr, flush=True),
        )  # fmt: skip
        _installed(database, f"in {database.folder}")
        return 0
    if args.action == "install":
        from assay.primers.ncbi_genomes import install as install_from_ncbi

        database = install_from_ncbi(
            cache, args.organism, url=args.from_url, offline=args.offline,
            progress=lambda text: print(text, file=sys.stderr, flush=True),
        )  # fmt: skip
        _installed(database, f"from {database.sources.get('genome', '')}")
        return 0
    if args.action == "list":
        every = installed(cache)
        if not every:
            print("No database installed (assay db add NAME --genome FASTA --transcripts FASTA).")
        for database in every:
            print(f"{database.label}: {_parts(database.bases)}; installed {database.installed}")
        return 0
    if args.action == "remove":
        for database in remove(cache, args.name, args.release):
            print(f"Removed {database.label}")
        return 0
    print(find(cache, args.name).folder)
    return 0


def _installed(database: Installed, where: str) -> None:
    print(f"Installed {database.label}: {_parts(database.bases)}")
    print(f"  {where}")


def _parts(bases: dict[str, int]) -> str:
    return ", ".join(f"{part} {count / 1e6:,.1f} Mb" for part, count in bases.items())
