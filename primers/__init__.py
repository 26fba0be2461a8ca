"""Primer validation: sequence rules, thermodynamics, and (later) binding to RefSeq records.

Layers: `sequence`, `checks`, `thresholds`, `conditions`, `model` and `validate` are pure;
`thermo` is the adapter to primer3-py; `table` and `report` read and write files.
"""
