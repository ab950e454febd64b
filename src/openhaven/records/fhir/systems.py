"""The vocabulary that ties the record model to FHIR R4: system URIs and value mappings.

Writer and reader both read these tables, so a choice made here (which URI means dm+d,
which encounter class code means "inpatient") holds in both directions and a population
written out reads back unchanged. The choices are documented in docs/ingest.md.
"""

from __future__ import annotations

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
UCUM_SYSTEM = "http://unitsofmeasure.org"

# Our short code-system names (records.schema) and their canonical FHIR URIs.
CODE_SYSTEM_URIS: dict[str, str] = {
    "snomed": "http://snomed.info/sct",
    "icd10": "http://hl7.org/fhir/sid/icd-10",
    "dmd": "https://dmd.nhs.uk",
    "loinc": "http://loinc.org",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
}
OTHER_SYSTEM = "other"

# Every URI we recognise on input, including common variants (UK editions, http/https).
URI_TO_CODE_SYSTEM: dict[str, str] = {uri: name for name, uri in CODE_SYSTEM_URIS.items()}
URI_TO_CODE_SYSTEM.update(
    {
        "https://snomed.info/sct": "snomed",
        "http://hl7.org/fhir/sid/icd-10-uk": "icd10",
        "http://hl7.org/fhir/sid/icd-10-cm": "icd10",
        "http://dmd.nhs.uk": "dmd",
        "https://fhir.nhs.uk/CodeSystem/dmd": "dmd",
        "https://loinc.org": "loinc",
    }
)

# Which coding to keep when a CodeableConcept carries several, per table.
PREFERRED_SYSTEMS: dict[str, tuple[str, ...]] = {
    "encounters": ("snomed",),
    "conditions": ("snomed", "icd10"),
    "observations": ("snomed", "loinc"),
    "medications": ("dmd", "snomed", "rxnorm"),
    "procedures": ("snomed",),
}

# Patient.gender is bound (required) to AdministrativeGender, the same four values we use.
GENDERS = frozenset({"female", "male", "other", "unknown"})

# Ethnicity: the UK Core ethnic-category extension, coded with the NHS Data Dictionary
# ethnic category letters (A-S, Z), which is what patients.ethnicity holds.
ETHNICITY_EXTENSION = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
ETHNICITY_SYSTEM = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
ETHNICITY_EXTENSIONS_READ = frozenset(
    {
        ETHNICITY_EXTENSION,
        "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-EthnicCategory-1",
    }
)
US_CORE_RACE_ETHNICITY = frozenset(
    {
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
    }
)

# Encounter.class (a Coding from v3 ActCode) to our encounter_class, and back.
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
NULL_FLAVOR_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
ENCOUNTER_CLASS_OUT: dict[str, str] = {
    "ambulatory": "AMB",
    "emergency": "EMER",
    "inpatient": "IMP",
    "virtual": "VR",
}
ENCOUNTER_CLASS_IN: dict[str, str] = {
    "AMB": "ambulatory",
    "EMER": "emergency",
    "IMP": "inpatient",
    "ACUTE": "inpatient",
    "NONAC": "inpatient",
    "SS": "inpatient",
    "VR": "virtual",
}

# notes.note_type as LOINC document types, and the LOINC codes we read back as each.
NOTE_TYPE_OUT: dict[str, tuple[str, str]] = {
    "consultation": ("11488-4", "Consult note"),
    "discharge_summary": ("18842-5", "Discharge summary"),
    "referral": ("57133-1", "Referral note"),
    "letter": ("68609-7", "Letter"),
}
NOTE_TYPE_IN: dict[str, str] = {code: name for name, (code, _) in NOTE_TYPE_OUT.items()}
NOTE_TYPE_IN.update({"34117-2": "consultation", "51847-2": "consultation"})
NOTE_TYPES = frozenset(NOTE_TYPE_OUT)
DEFAULT_NOTE_TYPE = "consultation"


def code_system_name(uri: str | None) -> str:
    """Our short name for a FHIR code system URI; anything unrecognised is ``other``."""
    if uri is None:
        return OTHER_SYSTEM
    return URI_TO_CODE_SYSTEM.get(uri, OTHER_SYSTEM)


def code_system_uri(name: str | None) -> str | None:
    """The FHIR URI for one of our code-system names; None for ``other`` (no system)."""
    if name is None:
        return None
    return CODE_SYSTEM_URIS.get(name)
