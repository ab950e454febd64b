"""Reference data for the generalising operators, shipped as package data.

``postcode_areas.csv`` maps every UK postcode area to its ONS region or nation;
``snomed_parents.csv`` is the part of SNOMED CT's "is a" hierarchy the synthetic data uses.
ICD-10's hierarchy comes from the classification's own structure. A haven may give its own
files (``settings``); ``tables`` loads them into an engine session for the operators' joins.
"""

#: the temporary tables the operators' SQL reads (created by ``tables.install_reference_tables``)
POSTCODE_TABLE = "_ref_postcode_regions"
ANCESTOR_TABLE = "_ref_code_ancestors"
#: the most levels ``code_parent`` may climb
MAX_LEVELS = 5
