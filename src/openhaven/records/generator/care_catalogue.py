"""What care looks like in the records: medicines, measurements, procedures, encounter types.

Measurements, procedures and encounter types are SNOMED CT concepts; measurement units are
UCUM.

Medicines use dm+d virtual medicinal product (VMP) ids (code system ``dmd``). The ids in
``VERIFIED_DMD`` were checked against published codelists; the others are given as they
appear in the dm+d to the best of our knowledge and should be checked against a current
dm+d release before anyone treats them as more than synthetic data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Medicine:
    dmd: str
    display: str


MEDICINES: dict[str, Medicine] = {
    "amlodipine": Medicine("319283006", "Amlodipine 5mg tablets"),
    "ramipril": Medicine("318902004", "Ramipril 5mg capsules"),
    "bisoprolol": Medicine("318590006", "Bisoprolol fumarate 5mg tablets"),
    "atorvastatin": Medicine("320029001", "Atorvastatin 20mg tablets"),
    "metformin": Medicine("325278007", "Metformin 500mg tablets"),
    "metformin_850": Medicine("325279004", "Metformin 850mg tablets"),
    "gliclazide": Medicine("325238007", "Gliclazide 80mg tablets"),
    "salbutamol": Medicine("320176004", "Salbutamol 100micrograms/dose inhaler CFC free"),
    "sertraline": Medicine("321949003", "Sertraline 50mg tablets"),
    "citalopram": Medicine("321988009", "Citalopram 20mg tablets"),
    "levothyroxine": Medicine("315254006", "Levothyroxine sodium 50microgram tablets"),
    "furosemide": Medicine("317972000", "Furosemide 40mg tablets"),
    "apixaban": Medicine("703907001", "Apixaban 5mg tablets"),
    "aspirin": Medicine("319773006", "Aspirin 75mg dispersible tablets"),
    "donepezil": Medicine("407758007", "Donepezil 10mg tablets"),
    "levetiracetam": Medicine("407854009", "Levetiracetam 500mg tablets"),
    "alendronic_acid": Medicine("408160009", "Alendronic acid 70mg tablets"),
    "allopurinol": Medicine("325363000", "Allopurinol 100mg tablets"),
    "letrozole": Medicine("324013003", "Letrozole 2.5mg tablets"),
    "paracetamol": Medicine("322236009", "Paracetamol 500mg tablets"),
    "amoxicillin": Medicine("323509004", "Amoxicillin 500mg capsules"),
    "ibuprofen": Medicine("329652003", "Ibuprofen 400mg tablets"),
}

#: dm+d ids confirmed against published codelists and terminology examples; the rest
#: are unconfirmed (see the module docstring).
VERIFIED_DMD = frozenset(
    {
        "319283006",  # amlodipine 5mg tablets
        "318902004",  # ramipril 5mg capsules
        "318590006",  # bisoprolol 5mg tablets
        "325278007",  # metformin 500mg tablets
        "325279004",  # metformin 850mg tablets
        "320176004",  # salbutamol 100micrograms/dose inhaler
        "317972000",  # furosemide 40mg tablets
        "319773006",  # aspirin 75mg dispersible tablets
        "322236009",  # paracetamol 500mg tablets
    }
)

#: Short-course medicines prescribed at ordinary consultations.
ACUTE_MEDICINES: tuple[tuple[str, float, int], ...] = (
    # (medicine key, relative frequency, course length in days)
    ("amoxicillin", 0.5, 7),
    ("paracetamol", 0.3, 14),
    ("ibuprofen", 0.2, 10),
)


@dataclass(frozen=True)
class Measurement:
    snomed: str
    display: str
    unit: str | None


MEASUREMENTS: dict[str, Measurement] = {
    "systolic": Measurement("271649006", "Systolic blood pressure", "mm[Hg]"),
    "diastolic": Measurement("271650006", "Diastolic blood pressure", "mm[Hg]"),
    "bmi": Measurement("60621009", "Body mass index", "kg/m2"),
    "weight": Measurement("27113001", "Body weight", "kg"),
    "height": Measurement("50373000", "Body height", "cm"),
    "hba1c": Measurement(
        "999791000000106", "Haemoglobin A1c level - IFCC standardised", "mmol/mol"
    ),
    "egfr": Measurement(
        "1011481000000105",
        "eGFR using creatinine (CKD-EPI) per 1.73 square metres",
        "mL/min/{1.73_m2}",
    ),
    "cholesterol": Measurement("1005671000000105", "Serum cholesterol level", "mmol/L"),
    "heart_rate": Measurement("364075005", "Heart rate", "/min"),
    "smoking": Measurement("365981007", "Tobacco smoking behaviour", None),
}

#: value_text of the smoking observation, indexed by smoking status (0 never, 1 ex, 2 current).
SMOKING_TEXT = ("Never smoked tobacco", "Ex-smoker", "Current smoker")


@dataclass(frozen=True)
class Procedure:
    snomed: str
    display: str


PROCEDURES: dict[str, Procedure] = {
    "flu_vaccination": Procedure(
        "86198006", "Administration of vaccine product containing only Influenza virus antigen"
    ),
    "ecg": Procedure("29303009", "Electrocardiographic procedure"),
    "spirometry": Procedure("127783003", "Spirometry"),
    "mammography": Procedure("71651007", "Mammography"),
    "cervical_screening": Procedure("171149006", "Screening for malignant neoplasm of cervix"),
    "colonoscopy": Procedure("73761001", "Colonoscopy"),
    "diabetic_foot_exam": Procedure("401191002", "Diabetic foot examination"),
    "chest_xray": Procedure("399208008", "Plain chest X-ray"),
    "hip_replacement": Procedure("52734007", "Total replacement of hip"),
    "knee_replacement": Procedure("609588000", "Total knee replacement"),
    "pci": Procedure("415070008", "Percutaneous coronary intervention"),
    "appendicectomy": Procedure("80146002", "Appendicectomy"),
}


@dataclass(frozen=True)
class EncounterType:
    encounter_class: str
    snomed: str
    display: str
    in_hospital: bool


ENCOUNTER_TYPES: dict[str, EncounterType] = {
    "gp_surgery": EncounterType("ambulatory", "185345009", "Encounter for symptom", False),
    "gp_review": EncounterType("ambulatory", "185349003", "Encounter for check up", False),
    "gp_telephone": EncounterType("virtual", "185317003", "Telephone encounter", False),
    "home_visit": EncounterType("other", "439708006", "Home visit", False),
    "outpatient": EncounterType("ambulatory", "185389009", "Follow-up visit", True),
    "emergency": EncounterType("emergency", "4525004", "Emergency department patient visit", True),
    "inpatient": EncounterType("inpatient", "32485007", "Hospital admission", True),
}
