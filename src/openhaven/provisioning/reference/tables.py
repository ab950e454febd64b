"""Reference tables the generalising operators join against, loaded once per engine session.

``install_reference_tables`` creates two temporary tables in a session:

- ``_ref_postcode_regions`` (``key``, ``region_code``, ``region_name``): the shipped
  area-level table (``postcode_areas.csv``) or the haven's own area-level file, plus the
  haven's district-level file when it gives one. Area keys are letters only (``LS``) and
  district keys hold a digit (``LS1``), so both kinds share one key column; the operator looks
  a postcode's district up first and falls back to its area.
- ``_ref_code_ancestors`` (``code_system``, ``code``, ``levels``, ``ancestor``): for every
  code of a known hierarchy, its ancestor 1 to ``MAX_LEVELS`` levels up, computed in the
  engine from one parent per code. ICD-10's parents come from the classification's structure
  (subcategory -> category -> block -> chapter; ``openhaven.governance.icd10``); SNOMED CT's
  from the shipped ``snomed_parents.csv`` or, when the haven configures one, its RF2
  relationship snapshot.

The operators render SQL that reads these tables, so no Python runs per row.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path

import pyarrow as pa

from openhaven.core.errors import ConfigurationError
from openhaven.engine import DataSession
from openhaven.governance.icd10 import blocks, chapters
from openhaven.provisioning.reference import ANCESTOR_TABLE, MAX_LEVELS, POSTCODE_TABLE
from openhaven.provisioning.reference.settings import ReferenceFiles

ICD10, SNOMED = "icd10", "snomed"
#: "is a", and the "active" flag, in an RF2 relationship file
IS_A = "116680003"
RF2_COLUMNS = ("id", "effectiveTime", "active", "moduleId", "sourceId", "destinationId",
               "relationshipGroup", "typeId", "characteristicTypeId", "modifierId")
_AREA = re.compile(r"^[A-Z]{1,2}$")
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_REGION_CODE = re.compile(r"^[ENSW][0-9]{8}$")
_PACKAGE = "openhaven.provisioning.reference"


def install_reference_tables(session: DataSession, files: ReferenceFiles | None = None) -> None:
    """Create both reference tables in ``session`` (shipped data unless ``files`` say)."""
    files = files or ReferenceFiles()
    session.register("_ref_postcode_source", postcode_table(files.postcode_regions))
    session.execute(
        f"CREATE OR REPLACE TEMP TABLE {POSTCODE_TABLE} AS SELECT * FROM _ref_postcode_source"
    )
    session.unregister("_ref_postcode_source")
    session.register("_ref_icd10_source", icd10_parents())
    session.execute(
        "CREATE OR REPLACE TEMP TABLE _ref_code_parents AS "
        "SELECT code_system, code, parent FROM _ref_icd10_source"
    )
    session.unregister("_ref_icd10_source")
    if files.snomed_relationships is None:
        session.register("_ref_snomed_source", shipped_snomed_parents())
        session.execute("INSERT INTO _ref_code_parents SELECT * FROM _ref_snomed_source")
        session.unregister("_ref_snomed_source")
    else:
        _insert_rf2_parents(session, files.snomed_relationships)
    # one ancestor per code and level: the chosen parent chain, climbed in the engine
    session.execute(
        f"CREATE OR REPLACE TEMP TABLE {ANCESTOR_TABLE} AS "
        "WITH RECURSIVE up(code_system, code, levels, ancestor) AS ("
        " SELECT code_system, code, 1, parent FROM _ref_code_parents WHERE parent IS NOT NULL"
        " UNION ALL"
        " SELECT up.code_system, up.code, up.levels + 1, p.parent FROM up"
        " JOIN _ref_code_parents p ON p.code_system = up.code_system AND p.code = up.ancestor"
        f" WHERE up.levels < {MAX_LEVELS} AND p.parent IS NOT NULL)"
        " SELECT code_system, code, CAST(levels AS INTEGER) AS levels, ancestor FROM up"
    )
    session.execute("DROP TABLE _ref_code_parents")


# --- postcodes -------------------------------------------------------------------------------

def postcode_table(haven_file: Path | None = None) -> pa.Table:
    """``key``, ``region_code``, ``region_name``: areas (shipped, or the haven's own
    area-level file), then the haven's districts when its file is district-level."""
    rows = _shipped_areas()
    if haven_file is not None:
        with haven_file.open(encoding="utf-8", newline="") as handle:
            kind, found = _read_regions(handle, haven_file.name)
        # a district-level file refines the areas; an area-level one replaces them
        rows = rows + found if kind == "district" else found
    keys = [row[0] for row in rows]
    codes = [row[1] for row in rows]
    names = [row[2] for row in rows]
    return pa.table({"key": pa.array(keys, pa.string()),
                     "region_code": pa.array(codes, pa.string()),
                     "region_name": pa.array(names, pa.string())})


@cache
def _shipped_areas() -> list[tuple[str, str, str]]:
    with (resources.files(_PACKAGE) / "postcode_areas.csv").open(encoding="utf-8") as handle:
        kind, rows = _read_regions(handle, "postcode_areas.csv")
    assert kind == "area"
    return rows


def _read_regions(handle: Iterable[str], name: str) -> tuple[str, list[tuple[str, str, str]]]:
    """Check and read a region table; '#' lines are comments. Returns its kind and rows."""
    numbered = [(n, next(csv.reader([line]))) for n, line in enumerate(handle, start=1)
                if line.strip() and not line.lstrip().startswith("#")]
    header = [h.strip() for h in numbered[0][1]] if numbered else []
    if len(header) < 3 or header[0] not in ("area", "district") \
            or header[1:3] != ["region_code", "region_name"]:
        raise ConfigurationError(
            f"{name}: the header must be area (or district), region_code, region_name")
    kind, pattern = header[0], (_AREA if header[0] == "area" else _DISTRICT)
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for line, row in numbered[1:]:
        if len(row) < 3:
            raise ConfigurationError(f"{name} line {line}: expected three columns")
        key, code, region = row[0].strip().upper(), row[1].strip(), row[2].strip()
        if not pattern.match(key):
            raise ConfigurationError(f"{name} line {line}: {key!r} is not a postcode {kind}")
        if not _REGION_CODE.match(code) or not region:
            raise ConfigurationError(
                f"{name} line {line}: a region needs an ONS code (e.g. E12000003) and a name")
        if key in seen:
            raise ConfigurationError(f"{name} line {line}: {key} is listed twice")
        seen.add(key)
        rows.append((key, code, region))
    return kind, rows


# --- clinical codes --------------------------------------------------------------------------

@cache
def icd10_parents() -> pa.Table:
    """Every ICD-10 code the WHO structure implies, with its parent.

    Keys are written without the dot (``E119``), as the operator normalises codes: a
    subcategory (``E11.9``, or ``I10.X`` with the UK's filler) has its category (``E11``); a
    category its block (``E10-E14``); a block its chapter (``IV``); a chapter none.
    """
    codes: list[str] = []
    parents: list[str | None] = []
    numeral_of = {chapter.code_range: chapter.chapter for chapter in chapters()}
    for chapter in chapters():
        codes.append(chapter.chapter)
        parents.append(None)
    for block in blocks():
        codes.append(block.code_range)
        parents.append(next(numeral for code_range, numeral in numeral_of.items()
                            if _within(block.code_range, code_range)))
        for position in range(block.first, block.last + 1, 10):
            index = position // 10
            category = f"{chr(ord('A') + index // 100)}{index % 100:02d}"
            codes.append(category)
            parents.append(block.code_range)
            for sub in "0123456789X":
                codes.append(category + sub)
                parents.append(category)
    return pa.table({"code_system": pa.array([ICD10] * len(codes), pa.string()),
                     "code": pa.array(codes, pa.string()),
                     "parent": pa.array(parents, pa.string())})


def _within(block_range: str, chapter_range: str) -> bool:
    start, end = block_range.split("-")
    low, high = chapter_range.split("-")
    return low <= start and end <= high


@cache
def shipped_snomed_parents() -> pa.Table:
    """The shipped SNOMED CT hierarchy (``snomed_parents.csv``), one parent per concept."""
    source = resources.files(_PACKAGE) / "snomed_parents.csv"
    with source.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    return pa.table({
        "code_system": pa.array([SNOMED] * len(rows), pa.string()),
        "code": pa.array([row["code"] for row in rows], pa.string()),
        "parent": pa.array([row["parent"] or None for row in rows], pa.string()),
    })


def _insert_rf2_parents(session: DataSession, path: Path) -> None:
    """Active "is a" relationships of an RF2 snapshot, one parent kept per concept.

    Where a concept has several parents the narrowest grouping is kept: the parent with the
    fewest children in the release, then the smallest concept id, so the choice is the same
    on every run. (A rule a machine can apply to the whole release; the shipped table was
    chosen by hand.)
    """
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
    if tuple(header) != RF2_COLUMNS:
        raise ConfigurationError(
            f"{path.name} is not an RF2 relationship snapshot (its header should be: "
            f"{' '.join(RF2_COLUMNS)})")
    quoted = str(path).replace("'", "''")
    session.execute(
        "CREATE OR REPLACE TEMP TABLE _ref_rf2 AS "
        "SELECT DISTINCT sourceId AS code, destinationId AS parent "
        f"FROM read_csv('{quoted}', delim = '\t', header = true, quote = '', escape = '', "
        "all_varchar = true) "
        f"WHERE active = '1' AND typeId = '{IS_A}'"
    )
    session.execute(
        "INSERT INTO _ref_code_parents "
        f"SELECT '{SNOMED}', code, parent FROM ("
        " SELECT r.code, r.parent, row_number() OVER ("
        "  PARTITION BY r.code ORDER BY c.children, CAST(r.parent AS BIGINT)) AS choice"
        " FROM _ref_rf2 r JOIN (SELECT parent, count(*) AS children FROM _ref_rf2"
        "  GROUP BY parent) c USING (parent)"
        ") WHERE choice = 1"
    )
    session.execute("DROP TABLE _ref_rf2")
