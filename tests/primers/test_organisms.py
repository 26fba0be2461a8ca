"""Organism databases: installed from FASTA at hand, listed, removed, and screened by default.

The test organism is made here: GAPDH's real exons (the bundled NM_002046.7) laid out as a gene
with a 92 bp intron between exons 5 and 6 and 2 kb introns elsewhere, a processed pseudogene (the
mRNA without introns) on another chromosome, random background, and a transcriptome holding the
mRNA and one transcript that carries both primer sites (a cDNA off-target). Expected products are
worked out from that layout in the test.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from assay.cli.main import main
from assay.errors import InputError
from assay.primers.organisms import add_database, find, install_lock, installed, remove
from assay.primers.sequence import reverse_complement

EXONS = Path(__file__).parents[2] / "data" / "refseq" / "NM_002046.7.exons.fasta"
SHORT_INTRON = 92  # between exons 5 and 6


def _exons() -> list[str]:
    blocks = EXONS.read_text().split(">")[1:]
    return ["".join(b.splitlines()[1:]) for b in blocks]


def _random(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ACGT"), n))


def _intron(rng: np.random.Generator, n: int) -> str:
    return "GT" + _random(rng, n - 4) + "AG"


def _fasta(records: list[tuple[str, str]]) -> str:
    return "".join(f">{name}\n" + "\n".join(s[i : i + 70] for i in range(0, len(s), 70)) + "\n"
                   for name, s in records)  # fmt: skip


def _pair() -> tuple[str, str, int]:
    """Forward in exon 5, reverse in exon 6 (GAPDH's own sequence), and the cDNA product size."""
    exons = _exons()
    mrna = "".join(exons)
    start5 = sum(len(e) for e in exons[:4])
    start6 = start5 + len(exons[4])
    forward = mrna[start5 + 5 : start5 + 25]
    reverse_site = mrna[start6 + 30 : start6 + 50]
    return forward, reverse_complement(reverse_site), start6 + 50 - (start5 + 5)


@pytest.fixture(scope="module")
def organism(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache with the test organism installed as "human"; returns the cache folder."""
    rng = np.random.default_rng(28)
    folder = tmp_path_factory.mktemp("organism")
    exons = _exons()
    gene = exons[0]
    for number, exon in enumerate(exons[1:], start=2):
        gene += _intron(rng, SHORT_INTRON if number == 6 else 2000) + exon
    mrna = "".join(exons)
    genome = [("chr1", _random(rng, 30_000) + gene + _random(rng, 30_000)),
              ("chr2", _random(rng, 20_000) + mrna + _random(rng, 20_000)),  # processed copy
              ("chr3", _random(rng, 50_000))]  # fmt: skip
    forward, reverse, _ = _pair()
    off = _random(rng, 300) + forward + _random(rng, 140) + reverse_complement(reverse)
    transcripts = [("NM_002046.7", mrna), ("NM_999999.1", off + _random(rng, 300)),
                   ("NM_888888.1", _random(rng, 2000))]  # fmt: skip
    (folder / "genome.fa").write_text(_fasta(genome))
    (folder / "rna.fa").write_text(_fasta(transcripts))
    cache = folder / "cache"
    add_database(cache, "human", genome=folder / "genome.fa", transcripts=folder / "rna.fa",
                 release="test1")  # fmt: skip
    return cache


def test_an_installed_database_is_listed_found_and_described(organism: Path) -> None:
    (database,) = installed(organism)
    assert (database.name, database.organism, database.release) == ("human", "Homo sapiens",
                                                                     "test1")  # fmt: skip
    assert database.parts == ("transcripts", "genome")
    mrna = len("".join(_exons()))
    gene = mrna + 2000 * 7 + SHORT_INTRON
    assert database.bases["genome"] == (30_000 + gene + 30_000) + (20_000 + mrna + 20_000) + 50_000
    assert find(organism, "Homo sapiens") == database
    assert find(organism, "human") == database
    with pytest.raises(InputError, match='no database for "mouse" is installed'):
        find(organism, "mouse")


def _table(folder: Path) -> Path:
    forward, reverse, _ = _pair()
    table = folder / "pairs.tsv"
    table.write_text(f"gene\tforward\treverse\taccession\nGAPDH\t{forward}\t{reverse}\t"
                     "NM_002046.7\n")  # fmt: skip
    return table


def test_validate_screens_the_records_organism_by_default(
    organism: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, cdna_bp = _pair()
    table = _table(tmp_path)
    report_path = tmp_path / "report.json"
    main(["validate", str(table), "--offline", "--cache", str(organism), "--json",
          str(report_path)])  # fmt: skip
    err = capsys.readouterr().err
    assert "Screening against human (Homo sapiens, test1): transcripts, genome" in err
    findings = json.loads(report_path.read_text())["pairs"][0]["findings"]
    messages = {f["code"]: f["message"] for f in findings if f["code"] == "off_target_products"}
    # The cDNA off-target: the planted transcript, forward at 301, reverse 140 nt after it.
    product = 20 + 140 + 20
    assert (
        f"FR {product} bp in NM_999999.1 (human test1 transcripts) 301-480"
        in (messages["off_target_products"])
    )
    genomic = [f for f in findings if f["code"] == "genomic_dna"
               and "human test1 genome" in f["message"]]  # fmt: skip
    assert len(genomic) == 1
    said = genomic[0]["message"]
    assert genomic[0]["severity"] == "warn"
    # The gene on chr1 with the 92 bp intron between the primers, and the intronless copy on
    # chr2 at the cDNA product's size.
    assert f"FR {cdna_bp + SHORT_INTRON} bp at chr1" in said
    assert f"{SHORT_INTRON} bp longer than the cDNA product (a short intron)" in said
    assert f"FR {cdna_bp} bp at chr2" in said
    assert "intronless cop" in said


def test_organism_none_screens_nothing_and_an_unknown_one_is_refused(
    organism: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = _table(tmp_path)
    main(["validate", str(table), "--offline", "--cache", str(organism), "--organism", "none"])
    assert "Screening against" not in capsys.readouterr().err
    assert main(["validate", str(table), "--offline", "--cache", str(organism), "--organism",
                 "zebrafish"]) == 2  # fmt: skip
    assert 'no database for "zebrafish" is installed' in capsys.readouterr().err


def test_a_database_of_another_organism_than_the_records_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(3)
    (tmp_path / "m.fa").write_text(_fasta([("chr1", _random(rng, 2000))]))
    cache = tmp_path / "cache"
    add_database(cache, "mouse", genome=tmp_path / "m.fa", transcripts=None, release="m1")
    status = main(["validate", str(_table(tmp_path)), "--offline", "--cache", str(cache),
                   "--organism", "mouse"])  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert "holds Mus musculus, but the records are of Homo sapiens" in err


def test_db_commands_add_list_path_and_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(1)
    (tmp_path / "g.fa").write_text(_fasta([("c1", _random(rng, 5000))]))
    cache = tmp_path / "cache"
    assert main(["db", "--cache", str(cache), "list"]) == 0
    assert "No database installed" in capsys.readouterr().out
    assert main(["db", "--cache", str(cache), "add", "strain-7", "--genome", str(tmp_path / "g.fa"),
                 "--organism", "Mus  musculus", "--release", "v1"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Installed strain-7 (Mus musculus, v1): genome 0.0 Mb" in out
    assert main(["db", "--cache", str(cache), "list"]) == 0
    assert "strain-7 (Mus musculus, v1): genome" in capsys.readouterr().out
    assert main(["db", "--cache", str(cache), "path", "mouse"]) == 0
    assert capsys.readouterr().out.strip() == str(cache / "databases" / "strain-7" / "v1")
    # The same release twice is refused; another release sits beside it.
    assert main(["db", "--cache", str(cache), "add", "strain-7", "--genome", str(tmp_path / "g.fa"),
                 "--organism", "Mus musculus", "--release", "v1"]) == 2  # fmt: skip
    assert "already installed" in capsys.readouterr().err
    assert main(["db", "--cache", str(cache), "remove", "strain-7"]) == 0
    assert "Removed strain-7 (Mus musculus, v1)" in capsys.readouterr().out
    assert not (cache / "databases" / "strain-7").exists()


@pytest.mark.parametrize("name", ["../evil", "a/b", ".hidden", "", "x" * 65])
def test_names_that_could_be_paths_are_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / "g.fa").write_text(">c\nACGT\n")
    with pytest.raises(InputError, match="is not a usable database name"):
        add_database(tmp_path, name, genome=tmp_path / "g.fa", transcripts=None,
                     organism="Homo sapiens")  # fmt: skip
    assert not (tmp_path / "databases").exists() or not any((tmp_path / "databases").iterdir())


def test_an_unknown_organism_name_needs_organism(tmp_path: Path) -> None:
    (tmp_path / "g.fa").write_text(">c\nACGT\n")
    with pytest.raises(InputError, match='Give --organism "Genus species"'):
        add_database(tmp_path, "my-strain", genome=tmp_path / "g.fa", transcripts=None)


def test_a_failed_install_leaves_nothing_usable(tmp_path: Path) -> None:
    # The transcripts index is built, then the genome turns out not to be FASTA: nothing is
    # installed, and no half-written folder is left to be mistaken for a database.
    (tmp_path / "rna.fa").write_text(">t1\n" + "ACGT" * 100 + "\n")
    (tmp_path / "genome-damaged.fa").write_text(">c1\nACGTACGT\nACGTQQ\n")
    with pytest.raises(InputError, match="not nucleotide codes"):
        add_database(tmp_path, "human", genome=tmp_path / "genome-damaged.fa",
                     transcripts=tmp_path / "rna.fa")  # fmt: skip
    assert installed(tmp_path) == []
    assert list((tmp_path / "databases" / "human").iterdir()) == []


def test_a_second_install_at_once_is_refused(tmp_path: Path) -> None:
    (tmp_path / "g.fa").write_text(">c\nACGT\n")
    busy = pytest.raises(InputError, match="another install is running")
    with install_lock(tmp_path / "databases"), busy:
        add_database(tmp_path, "human", genome=tmp_path / "g.fa", transcripts=None)
    add_database(tmp_path, "human", genome=tmp_path / "g.fa", transcripts=None)  # afterwards: fine
    assert [d.name for d in installed(tmp_path)] == ["human"]


def test_too_little_disk_space_is_said_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    from collections import namedtuple

    (tmp_path / "g.fa").write_text(">c\n" + "ACGT" * 1000 + "\n")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(InputError, match=r"needs about 0\.1 GB free for the indexes"):
        add_database(tmp_path, "human", genome=tmp_path / "g.fa", transcripts=None)
    assert installed(tmp_path) == []


def test_remove_of_what_is_not_installed_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match='no database "rat" is installed'):
        remove(tmp_path, "rat")


def test_a_pair_in_one_exon_with_only_its_own_locus_is_told_to_use_dnase(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both primers in exon 9: genomic DNA gives the same product at the gene itself (one locus,
    # said as info, not a warning); with the intronless copy added it becomes a warning.
    rng = np.random.default_rng(5)
    exons = _exons()
    gene = exons[0] + "".join(_intron(rng, 1500) + e for e in exons[1:])
    last = exons[-1]
    forward, reverse = last[20:40], reverse_complement(last[150:170])
    table = tmp_path / "pairs.tsv"
    table.write_text(f"gene\tforward\treverse\taccession\nGAPDH\t{forward}\t{reverse}\t"
                     "NM_002046.7\n")  # fmt: skip
    verdicts = []
    for copies in (0, 1):
        genome = [("chr1", _random(rng, 5000) + gene + _random(rng, 5000))]
        genome += [("chr2", _random(rng, 3000) + "".join(exons) + _random(rng, 3000))] * copies
        (tmp_path / f"g{copies}.fa").write_text(_fasta(genome))
        cache = tmp_path / f"cache{copies}"
        add_database(cache, "human", genome=tmp_path / f"g{copies}.fa", transcripts=None,
                     release="t")  # fmt: skip
        out = tmp_path / f"r{copies}.json"
        main(["validate", str(table), "--offline", "--cache", str(cache), "--json", str(out)])
        capsys.readouterr()
        findings = json.loads(out.read_text())["pairs"][0]["findings"]
        (genomic,) = [f for f in findings if "human t genome" in f["message"]]
        verdicts.append((genomic["severity"], genomic["message"]))
    assert verdicts[0][0] == "info"
    assert "genomic DNA gives the same product at one locus" in verdicts[0][1]
    assert "DNase" in verdicts[0][1]
    assert verdicts[1][0] == "warn"
    assert "1 intronless copy (processed pseudogene?)" in verdicts[1][1]


@pytest.mark.parametrize("copies", [9, 10])
def test_a_primer_priming_at_ten_sites_of_the_genome_is_flagged_as_a_repeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], copies: int
) -> None:
    from assay.primers.validate import REPEAT_SITES

    rng = np.random.default_rng(copies)
    forward, _, _ = _pair()
    body = "".join(_random(rng, 500) + forward for _ in range(copies)) + _random(rng, 500)
    (tmp_path / "g.fa").write_text(_fasta([("chr1", body)]))
    cache = tmp_path / "cache"
    add_database(cache, "human", genome=tmp_path / "g.fa", transcripts=None, release="r")
    out = tmp_path / "r.json"
    main(["validate", str(_table(tmp_path)), "--offline", "--cache", str(cache), "--json",
          str(out)])  # fmt: skip
    capsys.readouterr()
    findings = json.loads(out.read_text())["pairs"][0]["findings"]
    repeats = [f for f in findings if "sites in human r genome" in f["message"]]
    assert REPEAT_SITES == 10
    if copies >= REPEAT_SITES:
        (repeat,) = repeats
        assert repeat["subject"] == "forward"
        assert repeat["severity"] == "warn"
        assert repeat["message"].startswith(f"primes at {copies} sites in human r genome")
    else:
        assert repeats == []


def _gff(features: list[tuple[str, str, int, int, str]]) -> str:
    lines = ["##gff-version 3"]
    for record, kind, start, end, name in features:
        biotype = "pseudogene" if kind == "pseudogene" else "protein_coding"
        lines.append(f"{record}\tRefSeq\t{kind}\t{start}\t{end}\t.\t+\t.\t"
                     f"ID=gene-{name};Name={name};gene_biotype={biotype}")  # fmt: skip
        lines.append(f"{record}\tRefSeq\texon\t{start}\t{end}\t.\t+\t.\tParent=gene-{name}")
    return "\n".join(lines) + "\n"


def test_an_annotated_genome_names_the_pseudogene_the_heuristic_would_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both primers in exon 9 and one same-size product: without annotation it would pass for the
    # gene's own locus (info). The GFF says the copy is the pseudogene GAPDHP1 and the gene is
    # not in this genome: a warning naming it.
    rng = np.random.default_rng(8)
    exons = _exons()
    mrna = "".join(exons)
    left = 3000
    (tmp_path / "g.fa").write_text(_fasta([("chr2", _random(rng, left) + mrna
                                             + _random(rng, 3000))]))  # fmt: skip
    (tmp_path / "g.gff").write_text(_gff([("chr2", "pseudogene", left + 1, left + len(mrna),
                                           "GAPDHP1")]))  # fmt: skip
    last = exons[-1]
    table = tmp_path / "pairs.tsv"
    table.write_text(f"gene\tforward\treverse\taccession\nGAPDH\t{last[20:40]}\t"
                     f"{reverse_complement(last[150:170])}\tNM_002046.7\n")  # fmt: skip
    said = []
    for annotated in (False, True):
        cache = tmp_path / f"cache{annotated}"
        add_database(cache, "human", genome=tmp_path / "g.fa", transcripts=None, release="a",
                     annotation=tmp_path / "g.gff" if annotated else None)  # fmt: skip
        out = tmp_path / f"r{annotated}.json"
        main(["validate", str(table), "--offline", "--cache", str(cache), "--json", str(out)])
        capsys.readouterr()
        findings = json.loads(out.read_text())["pairs"][0]["findings"]
        (genomic,) = [f for f in findings if "human a genome" in f["message"]]
        said.append((genomic["severity"], genomic["message"]))
    assert said[0][0] == "info"  # the layout alone: taken for the gene's own locus
    assert said[1][0] == "warn"
    assert "1 intronless copy (processed pseudogene?)" in said[1][1]
    assert f"at chr2 {left + len(mrna) - len(last) + 21}-" in said[1][1]
    assert "in pseudogene GAPDHP1: the cDNA product's size" in said[1][1]


def test_genes_and_pseudogenes_are_read_from_gff3(tmp_path: Path) -> None:
    from assay.primers.annotation import Annotation, write_features

    gff = tmp_path / "a.gff.gz"
    gff.write_bytes(gzip.compress(_gff([("chr1", "gene", 30_001, 60_000, "GAPDH"),
                                        ("chr2", "pseudogene", 20_001, 21_285, "GAPDHP1"),
                                        ("chr3", "gene", 1, 10, "OTHER")]).encode()))  # fmt: skip
    assert write_features(gff, tmp_path / "annotation.tsv") == 3
    annotation = Annotation.load(tmp_path / "annotation.tsv")
    assert annotation is not None
    assert annotation.overlapping("chr1", 59_990, 60_100) == [("gene", "GAPDH")]
    assert annotation.overlapping("chr1", 60_001, 60_100) == []  # just past its end
    assert annotation.overlapping("chr2", 21_285, 21_300) == [("pseudogene", "GAPDHP1")]
    assert annotation.overlapping("chrX", 1, 10) == []


@pytest.mark.parametrize(
    ("text", "said", "row"),
    [
        ("##gff-version 3\nchr1\tRefSeq\tgene\t1\t10\n", "needs 9 tab-separated columns", 2),
        ("chr1\tRefSeq\tgene\tone\t10\t.\t+\t.\tName=A\n", "start and end must be numbers", 1),
        ("chr1\tRefSeq\texon\t1\t10\t.\t+\t.\tName=A\n", "no gene or pseudogene features", None),
    ],
)
def test_what_is_not_gff3_is_refused_with_its_line(
    tmp_path: Path, text: str, said: str, row: int | None
) -> None:
    from assay.primers.annotation import write_features

    (tmp_path / "bad.gff").write_text(text)
    with pytest.raises(InputError, match=said) as caught:
        write_features(tmp_path / "bad.gff", tmp_path / "out.tsv")
    assert caught.value.row == row


def test_the_same_database_serves_a_two_worker_cluster(organism: Path, tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    table = _table(tmp_path)
    common = ["--offline", "--cache", str(organism)]
    single, clustered = tmp_path / "one.json", tmp_path / "two.json"
    main(["validate", str(table), "--json", str(single), *common])
    main(["validate", str(table), "--json", str(clustered), "--workers", "2", *common])
    one, two = json.loads(single.read_text()), json.loads(clustered.read_text())
    messages = [f["message"] for f in one["pairs"][0]["findings"]]
    assert any("human test1 genome" in m for m in messages)  # screened, as by default
    assert one == two


def test_design_screens_against_the_records_organism_by_default(
    organism: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "design.json"
    main(["design", "NM_002046.7", "--offline", "--cache", str(organism), "--pairs", "2",
          "--json", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert "Screening against human (Homo sapiens, test1): transcripts, genome" in err
    text = out.read_text()
    assert "not screened" not in text
    assert "human test1 genome" in text  # each proposal's genomic-DNA finding names it
    # Every GAPDH pair also amplifies the intronless copy (a processed pseudogene): proposed all
    # the same, with the warning, as Primer-BLAST lists such products rather than design none.
    (design,) = json.loads(text)["designs"]
    assert len(design["pairs"]) == 2
