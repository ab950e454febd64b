"""The clinical vocabulary of the synthetic population: conditions, medicines, measurements.

Every condition carries its SNOMED CT concept id and its ICD-10 code, so the generator can
record it the way a GP system does (SNOMED CT) or a hospital does (ICD-10).

How common each condition is, by age decade, is set so that the whole population lands
near the recorded prevalence in the Quality and Outcomes Framework (NHS England, QOF
2022-23: hypertension 14.4 %, diabetes 7.5 % of 17+, asthma 6.5 %, COPD 1.9 %, CHD 3.0 %,
atrial fibrillation 2.2 %, heart failure 1.0 %, CKD 4.0 % of 18+, stroke/TIA 1.9 %,
depression 13.2 % of 18+, dementia 0.7 %, cancer 3.5 %, epilepsy 0.8 % of 18+,
obesity 9.5 % of 18+); age gradients follow the Health Survey for England and the
conditions' epidemiology. Risk factors multiply the probability: obesity raises diabetes,
hypertension and osteoarthritis; diabetes and hypertension raise CKD, CHD and stroke;
smoking raises COPD, lung cancer and CHD; South Asian and Black heritage raise type 2
diabetes (as documented by Diabetes UK and NICE NG28).

Medicines use dm+d virtual medicinal product (VMP) ids (code system ``dmd``). The ids in
``VERIFIED_DMD`` were checked against published codelists; the others are given as they
appear in the dm+d to the best of our knowledge and should be checked against a current
dm+d release before anyone treats them as more than synthetic data.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Medicine:
    dmd: str
    display: str


@dataclass(frozen=True)
class Condition:
    key: str
    snomed: str
    snomed_display: str
    icd10: str
    icd10_display: str
    #: Probability of having the condition by age decade (0-9, 10-19, ..., 90+).
    by_decade: tuple[float, float, float, float, float, float, float, float, float, float]
    #: Multipliers for (male, female).
    sex_factor: tuple[float, float] = (1.0, 1.0)
    #: (risk factor, multiplier): another condition's key, "obese", "smoker",
    #: "ex_smoker", "south_asian" or "black".
    risks: tuple[tuple[str, float], ...] = ()
    min_onset_age: float = 0.0
    mean_duration_years: float = 8.0
    #: Share diagnosed in hospital and therefore recorded in ICD-10.
    hospital_share: float = 0.05
    #: Share that has resolved by the time of the extract.
    resolved_share: float = 0.0
    #: (medicine key, probability of being prescribed it).
    medicines: tuple[tuple[str, float], ...] = field(default=())


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
    "clopidogrel": Medicine("319773006", "Clopidogrel 75mg tablets"),
    "aspirin": Medicine("319740004", "Aspirin 75mg dispersible tablets"),
    "donepezil": Medicine("407758007", "Donepezil 10mg tablets"),
    "levetiracetam": Medicine("407854009", "Levetiracetam 500mg tablets"),
    "alendronic_acid": Medicine("408160009", "Alendronic acid 70mg tablets"),
    "allopurinol": Medicine("325363000", "Allopurinol 100mg tablets"),
    "letrozole": Medicine("324013003", "Letrozole 2.5mg tablets"),
    "paracetamol": Medicine("322236009", "Paracetamol 500mg tablets"),
    "amoxicillin": Medicine("323509004", "Amoxicillin 500mg capsules"),
    "ibuprofen": Medicine("329652003", "Ibuprofen 400mg tablets"),
}

#: dm+d ids confirmed against published codelists.
VERIFIED_DMD = frozenset({"319283006", "325278007", "325279004", "322236009"})

#: Short-course medicines prescribed at ordinary consultations.
ACUTE_MEDICINES: tuple[tuple[str, float, int], ...] = (
    # (medicine key, relative frequency, course length in days)
    ("amoxicillin", 0.5, 7),
    ("paracetamol", 0.3, 14),
    ("ibuprofen", 0.2, 10),
)

T2D_RISKS = (("obese", 3.0), ("hypertension", 1.6), ("south_asian", 2.5), ("black", 1.8))

CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "hypertension",
        "38341003",
        "Hypertensive disorder, systemic arterial",
        "I10",
        "Essential (primary) hypertension",
        (0.0, 0.002, 0.01, 0.035, 0.09, 0.19, 0.33, 0.46, 0.54, 0.56),
        (1.1, 0.92),
        (("obese", 1.7), ("black", 1.3)),
        18,
        9.0,
        medicines=(("amlodipine", 0.5), ("ramipril", 0.4), ("bisoprolol", 0.08)),
    ),
    Condition(
        "type_2_diabetes",
        "44054006",
        "Type 2 diabetes mellitus",
        "E11.9",
        "Type 2 diabetes mellitus without complications",
        (0.0, 0.00056, 0.00672, 0.02016, 0.0448, 0.0784, 0.1232, 0.1568, 0.1456, 0.112),
        (1.2, 0.85),
        T2D_RISKS,
        20,
        8.0,
        medicines=(
            ("metformin", 0.65),
            ("metformin_850", 0.15),
            ("gliclazide", 0.2),
            ("atorvastatin", 0.6),
        ),
    ),
    Condition(
        "type_1_diabetes",
        "46635009",
        "Type 1 diabetes mellitus",
        "E10.9",
        "Type 1 diabetes mellitus without complications",
        (0.002, 0.004, 0.005, 0.005, 0.005, 0.005, 0.004, 0.003, 0.002, 0.001),
        (1.15, 0.85),
        (),
        1,
        15.0,
    ),
    Condition(
        "asthma",
        "195967001",
        "Asthma",
        "J45.9",
        "Asthma, unspecified",
        (0.03, 0.07, 0.07, 0.065, 0.06, 0.065, 0.07, 0.075, 0.07, 0.06),
        (0.9, 1.1),
        (("obese", 1.3),),
        2,
        10.0,
        resolved_share=0.08,
        medicines=(("salbutamol", 0.9),),
    ),
    Condition(
        "copd",
        "13645005",
        "Chronic obstructive lung disease",
        "J44.9",
        "Chronic obstructive pulmonary disease, unspecified",
        (0.0, 0.0, 0.0, 0.00085, 0.0051, 0.017, 0.0425, 0.0765, 0.085, 0.068),
        (1.1, 0.9),
        (("smoker", 3.5), ("ex_smoker", 2.2)),
        35,
        7.0,
        hospital_share=0.15,
        medicines=(("salbutamol", 0.9),),
    ),
    Condition(
        "coronary_heart_disease",
        "414545008",
        "Ischaemic heart disease",
        "I25.9",
        "Chronic ischaemic heart disease, unspecified",
        (0.0, 0.0, 0.0, 0.00108, 0.00675, 0.0243, 0.06075, 0.11475, 0.162, 0.162),
        (1.6, 0.55),
        (("type_2_diabetes", 1.9), ("hypertension", 1.8), ("smoker", 1.6), ("ex_smoker", 1.2)),
        30,
        8.0,
        hospital_share=0.3,
        medicines=(("atorvastatin", 0.85), ("aspirin", 0.6), ("bisoprolol", 0.45)),
    ),
    Condition(
        "atrial_fibrillation",
        "49436004",
        "Atrial fibrillation",
        "I48.9",
        "Atrial fibrillation and atrial flutter, unspecified",
        (0.0, 0.0, 0.00025, 0.00075, 0.0025, 0.01, 0.0375, 0.0875, 0.15, 0.1875),
        (1.3, 0.75),
        (("hypertension", 1.5), ("obese", 1.3)),
        30,
        5.0,
        hospital_share=0.2,
        medicines=(("apixaban", 0.75), ("bisoprolol", 0.55)),
    ),
    Condition(
        "heart_failure",
        "84114007",
        "Heart failure",
        "I50.9",
        "Heart failure, unspecified",
        (0.0, 0.0, 0.0, 0.00028, 0.0014, 0.0042, 0.014, 0.035, 0.07, 0.098),
        (1.3, 0.75),
        (("coronary_heart_disease", 3.5), ("atrial_fibrillation", 2.5), ("hypertension", 1.4)),
        30,
        4.0,
        hospital_share=0.4,
        medicines=(("furosemide", 0.75), ("bisoprolol", 0.6), ("ramipril", 0.5)),
    ),
    Condition(
        "chronic_kidney_disease",
        "709044004",
        "Chronic kidney disease",
        "N18.9",
        "Chronic kidney disease, unspecified",
        (0.0, 0.0, 0.0013, 0.0026, 0.0078, 0.0195, 0.052, 0.117, 0.195, 0.26),
        (0.85, 1.15),
        (("type_2_diabetes", 2.3), ("hypertension", 2.0)),
        18,
        6.0,
        medicines=(("atorvastatin", 0.4),),
    ),
    Condition(
        "stroke",
        "230690007",
        "Cerebrovascular accident",
        "I64",
        "Stroke, not specified as haemorrhage or infarction",
        (0.0, 0.0, 0.0008, 0.0016, 0.0048, 0.0128, 0.032, 0.064, 0.104, 0.128),
        (1.15, 0.9),
        (
            ("atrial_fibrillation", 2.8),
            ("hypertension", 1.8),
            ("type_2_diabetes", 1.5),
            ("smoker", 1.5),
        ),
        18,
        6.0,
        hospital_share=0.6,
        medicines=(("clopidogrel", 0.65), ("atorvastatin", 0.75)),
    ),
    Condition(
        "depression",
        "35489007",
        "Depressive disorder",
        "F32.9",
        "Depressive episode, unspecified",
        (0.0, 0.02, 0.11, 0.14, 0.15, 0.15, 0.13, 0.11, 0.1, 0.09),
        (0.7, 1.3),
        (),
        12,
        5.0,
        resolved_share=0.35,
        medicines=(("sertraline", 0.45), ("citalopram", 0.25)),
    ),
    Condition(
        "anxiety",
        "197480006",
        "Anxiety disorder",
        "F41.9",
        "Anxiety disorder, unspecified",
        (0.0, 0.02, 0.06, 0.06, 0.055, 0.05, 0.04, 0.035, 0.03, 0.03),
        (0.65, 1.35),
        (("depression", 2.0),),
        10,
        4.0,
        resolved_share=0.4,
        medicines=(("sertraline", 0.3),),
    ),
    Condition(
        "dementia",
        "52448006",
        "Dementia",
        "F03",
        "Unspecified dementia",
        (0.0, 0.0, 0.0, 0.0, 0.00013, 0.00067, 0.00402, 0.0201, 0.0737, 0.1876),
        (0.85, 1.1),
        (("stroke", 2.0),),
        45,
        3.0,
        hospital_share=0.1,
        medicines=(("donepezil", 0.5),),
    ),
    Condition(
        "lung_cancer",
        "363358000",
        "Malignant tumour of lung",
        "C34.9",
        "Malignant neoplasm: bronchus or lung, unspecified",
        (0.0, 0.0, 0.0, 0.0, 0.0002, 0.0008, 0.0018, 0.003, 0.0035, 0.003),
        (1.1, 0.9),
        (("smoker", 5.0), ("ex_smoker", 2.5)),
        30,
        1.5,
        hospital_share=0.5,
    ),
    Condition(
        "breast_cancer",
        "254837009",
        "Malignant neoplasm of breast",
        "C50.9",
        "Malignant neoplasm: breast, unspecified",
        (0.0, 0.0, 0.0003, 0.003, 0.01, 0.02, 0.03, 0.04, 0.045, 0.04),
        (0.0, 1.0),
        (),
        25,
        7.0,
        hospital_share=0.5,
        medicines=(("letrozole", 0.35),),
    ),
    Condition(
        "colorectal_cancer",
        "363406005",
        "Malignant tumour of colon",
        "C18.9",
        "Malignant neoplasm: colon, unspecified",
        (0.0, 0.0, 0.0, 0.0002, 0.0006, 0.002, 0.005, 0.009, 0.012, 0.012),
        (1.2, 0.85),
        (("obese", 1.3),),
        30,
        4.0,
        hospital_share=0.5,
    ),
    Condition(
        "prostate_cancer",
        "399068003",
        "Malignant tumour of prostate",
        "C61",
        "Malignant neoplasm of prostate",
        (0.0, 0.0, 0.0, 0.0, 0.0005, 0.004, 0.02, 0.045, 0.06, 0.06),
        (1.0, 0.0),
        (("black", 2.0),),
        40,
        5.0,
        hospital_share=0.5,
    ),
    Condition(
        "osteoarthritis",
        "396275006",
        "Osteoarthritis",
        "M19.9",
        "Arthrosis, unspecified",
        (0.0, 0.0, 0.002, 0.01, 0.04, 0.1, 0.18, 0.26, 0.32, 0.33),
        (0.8, 1.2),
        (("obese", 1.7),),
        30,
        8.0,
        medicines=(("paracetamol", 0.4),),
    ),
    Condition(
        "hypothyroidism",
        "40930008",
        "Hypothyroidism",
        "E03.9",
        "Hypothyroidism, unspecified",
        (0.00055, 0.0033, 0.011, 0.022, 0.033, 0.0495, 0.066, 0.077, 0.0825, 0.0825),
        (0.3, 1.7),
        (),
        5,
        10.0,
        medicines=(("levothyroxine", 0.95),),
    ),
    Condition(
        "epilepsy",
        "84757009",
        "Epilepsy",
        "G40.9",
        "Epilepsy, unspecified",
        (0.004, 0.007, 0.008, 0.008, 0.008, 0.008, 0.009, 0.009, 0.009, 0.009),
        (1.1, 0.9),
        (("stroke", 2.0),),
        1,
        12.0,
        hospital_share=0.1,
        medicines=(("levetiracetam", 0.7),),
    ),
    Condition(
        "osteoporosis",
        "64859006",
        "Osteoporosis",
        "M81.9",
        "Osteoporosis, unspecified",
        (0.0, 0.0, 0.0, 0.0, 0.002, 0.008, 0.025, 0.055, 0.09, 0.11),
        (0.25, 1.75),
        (("smoker", 1.4),),
        40,
        6.0,
        medicines=(("alendronic_acid", 0.7),),
    ),
    Condition(
        "gout",
        "90560007",
        "Gout",
        "M10.9",
        "Gout, unspecified",
        (0.0, 0.0, 0.002, 0.008, 0.018, 0.03, 0.045, 0.055, 0.055, 0.05),
        (1.7, 0.3),
        (("obese", 2.0), ("chronic_kidney_disease", 2.0)),
        20,
        8.0,
        medicines=(("allopurinol", 0.6),),
    ),
)

OBESITY = Condition(
    "obesity",
    "414916001",
    "Obesity",
    "E66.9",
    "Obesity, unspecified",
    (0.0,) * 10,  # type: ignore[arg-type]  # derived from BMI instead
    min_onset_age=18,
    mean_duration_years=6.0,
)
#: Share of adults with a BMI of 30 or more whose obesity is coded on the record.
OBESITY_CODED_SHARE = 0.42

CONDITION_KEYS: tuple[str, ...] = (*(c.key for c in CONDITIONS), OBESITY.key)


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
