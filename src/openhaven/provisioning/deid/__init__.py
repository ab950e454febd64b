"""De-identification by generalisation: hierarchies, privacy models, metrics, optimal search, risk.

The standalone anonymiser (``openhaven anonymise``) and, later, provisioning both call
``anonymise_table``. See docs/anonymisation.md for the models, the metrics, the search and how the
results compare with the reference tool on its benchmark data.
"""

from openhaven.provisioning.deid.anonymiser import (
    AnonymisationResult,
    PrivacySettings,
    anonymise_file,
    anonymise_table,
    apply_transformation,
    build_problem,
    load_hierarchies,
    parse_hierarchy_options,
)
from openhaven.provisioning.deid.hierarchy import Hierarchy, hierarchy_from_rows, load_hierarchy
from openhaven.provisioning.deid.risk import RiskReport, risk_of_rows, risk_report
from openhaven.provisioning.deid.search import (
    SearchResult,
    exhaustive_transformation,
    optimal_transformation,
)
from openhaven.provisioning.deid.table import TextTable, read_table, write_table

__all__ = [
    "AnonymisationResult",
    "Hierarchy",
    "PrivacySettings",
    "RiskReport",
    "SearchResult",
    "TextTable",
    "anonymise_file",
    "anonymise_table",
    "apply_transformation",
    "build_problem",
    "exhaustive_transformation",
    "hierarchy_from_rows",
    "load_hierarchies",
    "load_hierarchy",
    "optimal_transformation",
    "parse_hierarchy_options",
    "read_table",
    "risk_of_rows",
    "risk_report",
    "write_table",
]
