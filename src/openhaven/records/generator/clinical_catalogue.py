"""The conditions of the synthetic population: codes, prevalence, risk factors, treatment.

Every condition carries its SNOMED CT concept id and its ICD-10 code, so the generator can
record it the way a GP system does (SNOMED CT) or a hospital does (ICD-10).

How common each condition is, by age decade, is set so that the whole population lands
near the recorded prevalence in the Quality and Outcomes Framework (NHS England, QOF
2022-23, approximately: hypertension 14.4 %, diabetes 7.5 % of 17+, asthma 6.5 %,
COPD 1.9 %, CHD 3.0 %, atrial fibrillation 2.2 %, heart failure 1.0 %, CKD 4.0 % of 18+,
stroke/TIA 1.9 %, depression 13.2 % of 18+, dementia 0.7 %, cancer 3.5 %, epilepsy 0.8 %
of 18+, obesity 9.5 % of 18+); age gradients follow the Health Survey for England and the
conditions' epidemiology. Risk factors multiply the probability: obesity raises diabetes,
hypertension and osteoarthritis; diabetes and hypertension raise CKD, CHD and stroke;
smoking raises COPD, lung cancer and CHD; South Asian and Black heritage raise type 2
diabetes (as documented by Diabetes UK and NICE NG28).

Medicines, measurements and procedures live in ``care_catalogue``; a condition names
the medicines it is treated with by their keys there.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        medicines=(("aspirin", 0.65), ("atorvastatin", 0.75)),
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
