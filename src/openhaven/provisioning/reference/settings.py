"""Where a haven's own reference files are, from its settings.

A haven may replace or refine the shipped reference data with files of its own::

    # <home>/openhaven.toml
    [provisioning.reference]
    postcode_regions = "reference/district_regions.csv"   # area- or district-level
    snomed_relationships = "/srv/snomed/sct2_Relationship_Snapshot_GB1000000_20250401.txt"

or with the environment variables ``OPENHAVEN_POSTCODE_REGIONS`` and
``OPENHAVEN_SNOMED_RELATIONSHIPS``, which win over the file. A relative path is read from the
haven's home. Neither file ever enters the repository: the postcode table may be built from
a licensed directory, and SNOMED CT's release is licensed.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openhaven.core.config import SETTINGS_FILE
from openhaven.core.errors import ConfigurationError

POSTCODE_REGIONS_ENV = "OPENHAVEN_POSTCODE_REGIONS"
SNOMED_RELATIONSHIPS_ENV = "OPENHAVEN_SNOMED_RELATIONSHIPS"
SECTION = ("provisioning", "reference")


@dataclass(frozen=True)
class ReferenceFiles:
    """The haven's own reference files; None means the shipped data is used."""

    #: a CSV of ``area`` or ``district``, ``region_code``, ``region_name``
    postcode_regions: Path | None = None
    #: an RF2 relationship snapshot (``sct2_Relationship_Snapshot_*.txt``)
    snomed_relationships: Path | None = None


def reference_files(home: Path) -> ReferenceFiles:
    """The reference files configured for the haven at ``home`` (checked to exist)."""
    section = _settings_section(home / SETTINGS_FILE)
    return ReferenceFiles(
        _chosen(home, POSTCODE_REGIONS_ENV, section, "postcode_regions"),
        _chosen(home, SNOMED_RELATIONSHIPS_ENV, section, "snomed_relationships"),
    )


def _settings_section(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            found: Any = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{SETTINGS_FILE} is not valid TOML: {exc}") from None
    for key in SECTION:
        found = found.get(key, {}) if isinstance(found, dict) else {}
    if not isinstance(found, dict):
        raise ConfigurationError(f"[{'.'.join(SECTION)}] in {SETTINGS_FILE} must be a table")
    return found


def _chosen(home: Path, variable: str, section: dict[str, Any], key: str) -> Path | None:
    raw = os.environ.get(variable) or section.get(key)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ConfigurationError(f"[{'.'.join(SECTION)}] {key} must be a file path")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = home / path
    if not path.is_file():
        raise ConfigurationError(
            f"The reference file set by {variable} or [{'.'.join(SECTION)}] {key} "
            f"does not exist: {path}"
        )
    return path
