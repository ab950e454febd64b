"""A synthetic, England-like patient population for demos, tests and benchmarks.

Deterministic by seed, vectorised, and shaped by public figures (ONS population and
census, QOF prevalence): see the reference-data modules ``population_pyramid``,
``ethnicity``, ``names``, ``places`` and ``clinical_catalogue``, each of which names its
sources. No real person's data is used or produced; telephone numbers come from Ofcom's
drama ranges and practice codes are generated.
"""

from openhaven.records.generator.parquet_output import generate_to_parquet, write_parquet
from openhaven.records.generator.population import BLOCK_PATIENTS, generate_population

__all__ = ["BLOCK_PATIENTS", "generate_population", "generate_to_parquet", "write_parquet"]
