"""Make the worked example's data: constructed numbers, reproducible, checked against the paper.

The seed paper (Mirfendereski et al. 2024) publishes only summaries, no wells. This script builds a
plausible data set with the paper's design that reproduces its published viability summaries
exactly and shows its published direction of expression (all four genes down after co-culture).
Run from the repository root:  .venv/bin/python -P data/example/make_example.py
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SEED = 2024

# Published (Results 3.1): AGS 76.71 ± 3.97 % of control; A431 viability up by 30.12 ± 5.97 %.
# Three experiments whose means are mean - sd, mean, mean + sd have exactly that mean and SD.
VIABILITY = {"AGS": (76.71, 3.97), "A431": (130.12, 5.97)}

# Ct design: control Ct of each target, and the cycles it rises after co-culture (expression down).
GAPDH_CT = {"AGS": 17.6, "A431": 18.1}
TARGETS = {
    "JAK2": (27.1, {"AGS": 1.20, "A431": 0.80}),
    "STAT3": (25.3, {"AGS": 0.90, "A431": 1.10}),
    "PI3k": (26.6, {"AGS": 1.00, "A431": 0.60}),
    "mTOR": (27.4, {"AGS": 1.10, "A431": 0.90}),
}
GROUPS = ("control", "co-culture")


def make_od() -> str:
    """Three experiments (plates) per cell line; triplicate wells; two blanks per plate."""
    lines = ["cell_line,experiment,group,well,od570,od630"]
    for cell_line, (mean, sd) in VIABILITY.items():
        for experiment, pct in enumerate((mean - sd, mean, mean + sd), start=1):
            od630 = 0.040 + 0.002 * experiment  # background differs a little between plates
            blank_net = 0.010
            control_net = 1.0000
            treated_net = round(control_net * pct / 100.0, 6)
            # Each independent experiment is its own plate: controls in row A, co-culture in
            # row B, blanks in H11-H12.
            for group, net, row in (
                ("control", control_net, "A"),
                ("co-culture", treated_net, "B"),
            ):
                for column, offset in enumerate((-0.010, 0.0, 0.010), start=1):
                    od570 = net + offset + blank_net + od630
                    lines.append(f"{cell_line},{experiment},{group},{row}{column},"
                                 f"{od570:.6f},{od630:.3f}")  # fmt: skip
            for column in (11, 12):
                lines.append(f"{cell_line},{experiment},blank,H{column},"
                             f"{blank_net + od630:.6f},{od630:.3f}")  # fmt: skip
    return "\n".join(lines) + "\n"


def make_ct() -> str:
    """Three cDNA samples per group, technical triplicates, five genes; one well excluded."""
    rng = np.random.default_rng(SEED)
    lines = ["cell_line,group,sample,gene,ct,exclude"]
    for cell_line in VIABILITY:
        for group in GROUPS:
            for s in range(1, 4):
                sample = f"{cell_line}-{group}-{s}"
                load = rng.normal(0.0, 0.25)  # cDNA amount: shared by every gene of the sample
                genes = {"GAPDH": GAPDH_CT[cell_line]}
                for gene, (ct, shift) in TARGETS.items():
                    genes[gene] = ct + (shift[cell_line] if group == "co-culture" else 0.0)
                for gene, base in genes.items():
                    biological = rng.normal(0.0, 0.15)
                    for _ in range(3):
                        ct = base + load + biological + rng.normal(0.0, 0.07)
                        lines.append(f"{cell_line},{group},{sample},{gene},{ct:.2f},")
    # One replicate with a visible problem, excluded by the experimenter with the reason.
    lines[5] = lines[5].rstrip(",") + ",bubble seen in the well"
    return "\n".join(lines) + "\n"


def check_viability(text: str) -> None:
    """The constructed wells must give the published summaries (independent arithmetic)."""
    rows = [line.split(",") for line in text.strip().splitlines()[1:]]
    for cell_line, (mean, sd) in VIABILITY.items():
        per_experiment = []
        for experiment in ("1", "2", "3"):

            def net(group: str, cl: str = cell_line, ex: str = experiment) -> list[float]:
                return [float(r[4]) - float(r[5]) for r in rows
                        if r[0] == cl and r[1] == ex and r[2] == group]  # fmt: skip

            blank = statistics.mean(net("blank"))
            control = statistics.mean(x - blank for x in net("control"))
            treated = statistics.mean(x - blank for x in net("co-culture"))
            per_experiment.append(treated / control * 100)
        got = (
            round(statistics.mean(per_experiment), 2),
            round(statistics.stdev(per_experiment), 2),
        )
        if got != (mean, sd):
            raise SystemExit(
                f"{cell_line}: constructed viability {got} is not the published {mean, sd}"
            )


def main() -> None:
    """Write od.csv and ct.csv beside this script."""
    od = make_od()
    check_viability(od)
    (HERE / "od.csv").write_text(od)
    (HERE / "ct.csv").write_text(make_ct())
    print("wrote data/example/od.csv and data/example/ct.csv")


if __name__ == "__main__":
    main()
