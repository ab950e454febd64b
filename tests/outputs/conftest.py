"""Shared fixtures for the output-check tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest


def risky_cohort(path: Path, n: int = 3000, seed: int = 7) -> Path:
    """Random groups plus planted risks: small cells, an empty cell, dominated cells."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east", "west"], n)
    band = rng.choice(["0-17", "18-64", "65+"], n)
    sex = rng.choice(["f", "m"], n)
    cost = rng.gamma(2.0, 500.0, n)
    keep = ~((region == "east") & (band == "0-17") & (rng.random(n) > 0.02))   # a small group
    keep &= ~((region == "west") & (band == "65+") & (sex == "m"))             # an empty cell
    frame = pl.DataFrame({"region": region, "band": band, "sex": sex, "cost": cost}).filter(keep)
    # One patient dominates two cells' totals.
    frame = frame.with_columns(
        pl.when((pl.col("region") == "north") & (pl.col("band") == "65+")
                & (pl.col("sex") == "f") & (pl.int_range(pl.len()) % 97 == 0))
        .then(pl.lit(5_000_000.0)).otherwise(pl.col("cost")).alias("cost"))
    frame.write_parquet(path)
    return path


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort file with every kind of risky cell, shared by the ACRO comparison tests."""
    return risky_cohort(tmp_path_factory.mktemp("acro") / "cohort.parquet")
