"""Analysis of plate data: ΔΔCt relative expression, MTT viability and their statistics.

Layers: `ddct` and `stats` are pure computations; `wells` reads tables and `outputs` writes them.
"""
