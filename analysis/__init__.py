"""Analysis of plate data: ΔΔCt relative expression, MTT viability and their statistics."""
