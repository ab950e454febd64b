"""The anonymiser as one call: table + hierarchies + privacy model -> the optimal anonymised table.

``anonymise_table`` validates the request (every error names the argument, file, line or column
at fault), codes the data against the hierarchies, runs the optimal search, applies the chosen
transformation (records that would break the model are suppressed: every quasi-identifier
becomes ``*``) and measures the re-identification risk of the result. Columns that are neither
quasi-identifiers nor the sensitive attribute pass through unchanged: dropping direct
identifiers is the caller's job (provisioning drops them before it gets here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from openhaven.core.errors import InvalidInput, Location
from openhaven.provisioning.deid.evaluation import (
    NodeEvaluation,
    Problem,
    code_sensitive,
    evaluate_records,
)
from openhaven.provisioning.deid.hierarchy import Hierarchy, encode_column, load_hierarchy
from openhaven.provisioning.deid.metrics import METRICS, make_metric
from openhaven.provisioning.deid.privacy_models import (
    DistinctLDiversity,
    EntropyLDiversity,
    EqualDistanceTCloseness,
    KAnonymity,
    OrderedDistanceTCloseness,
    PrivacyModel,
)
from openhaven.provisioning.deid.risk import SUPPRESSED_MARK, RiskReport, risk_report
from openhaven.provisioning.deid.search import optimal_transformation
from openhaven.provisioning.deid.table import TextTable, read_table

L_MODELS = ("distinct", "entropy")
T_DISTANCES = ("equal", "ordered")


@dataclass(frozen=True)
class PrivacySettings:
    """What the anonymised table must satisfy, and how loss is measured."""

    quasi: tuple[str, ...]
    k: int = 2
    suppression: float = 0.0
    metric: str = "loss"
    sensitive: str | None = None
    l: float | None = None  # noqa: E741
    l_model: str = "distinct"
    t: float | None = None
    t_distance: str = "equal"
    risk_threshold: float = 0.2

    def models(self) -> list[PrivacyModel]:
        models: list[PrivacyModel] = [KAnonymity(self.k)]
        if self.l is not None:
            if self.l_model == "distinct":
                models.append(DistinctLDiversity(int(self.l)))
            else:
                models.append(EntropyLDiversity(float(self.l)))
        if self.t is not None:
            if self.t_distance == "equal":
                models.append(EqualDistanceTCloseness(self.t))
            else:
                models.append(OrderedDistanceTCloseness(self.t))
        return models

    def describe(self) -> dict[str, Any]:
        return {"quasi_identifiers": list(self.quasi), "sensitive": self.sensitive,
                "models": [model.describe() for model in self.models()],
                "suppression_limit": self.suppression, "metric": self.metric}


@dataclass(frozen=True)
class AnonymisationResult:
    levels: dict[str, int]
    suppressed: int
    classes: int
    score: float
    evaluated: int
    seconds: float
    lattice_size: int
    table: TextTable
    risk: RiskReport
    settings: PrivacySettings
    evaluation: NodeEvaluation = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """The answer the command prints: exactly these keys (a test pins them)."""
        return {"levels": dict(self.levels), "suppressed": self.suppressed,
                "classes": self.classes, "score": self.score, "evaluated": self.evaluated,
                "seconds": round(self.seconds, 4)}


def validate_settings(settings: PrivacySettings, table: TextTable,
                      hierarchies: Mapping[str, Hierarchy]) -> None:
    """Refuse a request that cannot be answered, naming the argument or column at fault."""
    if not settings.quasi:
        raise InvalidInput("Name at least one quasi-identifier.", Location(field="--quasi"))
    if len(set(settings.quasi)) != len(settings.quasi):
        raise InvalidInput("A quasi-identifier is named twice.", Location(field="--quasi"))
    for name in settings.quasi:
        if name not in table.columns:
            raise InvalidInput(f"Quasi-identifier '{name}' is not a column of the data.",
                               Location(file=table.source, line=1, field=name))
        if name not in hierarchies:
            raise InvalidInput(f"Quasi-identifier '{name}' has no hierarchy; give one with "
                               f"--hierarchy {name}=FILE.", Location(field="--hierarchy"))
    for name in hierarchies:
        if name not in settings.quasi:
            raise InvalidInput(f"A hierarchy is given for '{name}', which is not a "
                               "quasi-identifier.", Location(field="--hierarchy"))
    if settings.k < 1:
        raise InvalidInput("k must be at least 1.", Location(field="--k"))
    if not 0.0 <= settings.suppression <= 1.0 or math.isnan(settings.suppression):
        raise InvalidInput("The suppression limit is a share of records between 0 and 1.",
                           Location(field="--suppression"))
    if settings.metric not in METRICS:
        raise InvalidInput(f"Unknown metric; choose one of {', '.join(METRICS)}.",
                           Location(field="--metric"))
    needs_sensitive = settings.l is not None or settings.t is not None
    if needs_sensitive and settings.sensitive is None:
        raise InvalidInput("l-diversity and t-closeness need --sensitive.",
                           Location(field="--sensitive"))
    if settings.sensitive is not None:
        if settings.sensitive not in table.columns:
            raise InvalidInput(f"Sensitive attribute '{settings.sensitive}' is not a column of "
                               "the data.", Location(file=table.source, line=1,
                                                     field=settings.sensitive))
        if settings.sensitive in settings.quasi:
            raise InvalidInput("The sensitive attribute cannot also be a quasi-identifier.",
                               Location(field="--sensitive"))
        if not needs_sensitive:
            raise InvalidInput("A sensitive attribute needs a model: give --l or --t.",
                               Location(field="--sensitive"))
    if settings.l is not None and (settings.l < 1 or settings.l_model not in L_MODELS):
        raise InvalidInput(f"l must be at least 1 and the l-model one of {', '.join(L_MODELS)}.",
                           Location(field="--l"))
    if settings.t is not None and (not 0.0 <= settings.t <= 1.0
                                   or settings.t_distance not in T_DISTANCES):
        raise InvalidInput("t must be between 0 and 1 and the distance one of "
                           f"{', '.join(T_DISTANCES)}.", Location(field="--t"))
    if table.row_count == 0:
        raise InvalidInput("The data file has no records.", Location(file=table.source))


def build_problem(table: TextTable, hierarchies: Mapping[str, Hierarchy],
                  settings: PrivacySettings) -> Problem:
    """Code the table against the hierarchies (every value must be in its hierarchy)."""
    ordered = [hierarchies[name] for name in settings.quasi]
    columns = [encode_column(hierarchy, table.column(name), source=table.source, column=name)
               for name, hierarchy in zip(settings.quasi, ordered, strict=True)]
    sensitive = None
    if settings.sensitive is not None:
        sensitive = code_sensitive(settings.sensitive, table.column(settings.sensitive))
    return Problem(hierarchies=ordered, leaf_codes=np.column_stack(columns),
                   models=settings.models(), suppression_limit=settings.suppression,
                   sensitive=sensitive)


def apply_transformation(table: TextTable, problem: Problem,
                         evaluation: NodeEvaluation) -> TextTable:
    """The table with each quasi-identifier generalised and outlier records suppressed."""
    suppressed = evaluation.suppressed_records
    columns = dict(table.columns)
    for position, (hierarchy, level) in enumerate(
            zip(problem.hierarchies, evaluation.levels, strict=True)):
        labels = np.asarray((*hierarchy.labels_at(level), SUPPRESSED_MARK), dtype=object)
        codes = hierarchy.codes_at(level)[problem.leaf_codes[:, position]]
        codes = np.where(suppressed, len(labels) - 1, codes)
        columns[hierarchy.attribute] = labels[codes].tolist()
    return TextTable(header=table.header, columns=columns, source=table.source)


def anonymise_table(table: TextTable, hierarchies: Mapping[str, Hierarchy],
                    settings: PrivacySettings) -> AnonymisationResult:
    """Find the optimal transformation of ``table`` and apply it."""
    validate_settings(settings, table, hierarchies)
    problem = build_problem(table, hierarchies, settings)
    metric = make_metric(settings.metric, problem)
    found = optimal_transformation(problem, metric)
    evaluation = evaluate_records(problem, found.levels)
    anonymised = apply_transformation(table, problem, evaluation)
    kept = evaluation.class_sizes[evaluation.class_ok]
    return AnonymisationResult(
        levels=dict(zip(settings.quasi, found.levels, strict=True)),
        suppressed=evaluation.outliers,
        classes=evaluation.classes,
        score=found.score,
        evaluated=found.evaluated,
        seconds=found.seconds,
        lattice_size=found.lattice_size,
        table=anonymised,
        risk=risk_report(kept, suppressed=evaluation.outliers,
                         threshold=settings.risk_threshold),
        settings=settings,
        evaluation=evaluation,
    )


def load_hierarchies(files: Mapping[str, Path | str], *, sep: str = ";") -> dict[str, Hierarchy]:
    return {name: load_hierarchy(name, path, sep=sep) for name, path in files.items()}


def anonymise_file(data: Path | str, hierarchy_files: Mapping[str, Path | str],
                   settings: PrivacySettings, *, sep: str = ";") -> AnonymisationResult:
    """Read a delimited file and its hierarchy files (same separator), and anonymise it."""
    table = read_table(data, sep=sep)
    return anonymise_table(table, load_hierarchies(hierarchy_files, sep=sep), settings)


def parse_hierarchy_options(options: Sequence[str]) -> dict[str, Path]:
    """``ATTR=FILE`` pairs from the command line."""
    files: dict[str, Path] = {}
    for option in options:
        name, separator, path = option.partition("=")
        if not separator or not name or not path:
            raise InvalidInput("A hierarchy is given as ATTRIBUTE=FILE.",
                               Location(field="--hierarchy"))
        if name in files:
            raise InvalidInput(f"Two hierarchies are given for '{name}'.",
                               Location(field="--hierarchy"))
        files[name] = Path(path)
    return files
