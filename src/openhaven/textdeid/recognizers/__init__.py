"""The built-in recognizers, one per module, registered like any other."""

from openhaven.textdeid.recognizers.address_recognizer import AddressRecognizer
from openhaven.textdeid.recognizers.age_recognizer import AgeRecognizer
from openhaven.textdeid.recognizers.date_recognizer import DateRecognizer
from openhaven.textdeid.recognizers.email_recognizer import EmailRecognizer
from openhaven.textdeid.recognizers.hospital_number_recognizer import HospitalNumberRecognizer
from openhaven.textdeid.recognizers.nhs_number_recognizer import NhsNumberRecognizer
from openhaven.textdeid.recognizers.ni_number_recognizer import NiNumberRecognizer
from openhaven.textdeid.recognizers.patient_identifier_recognizer import (
    PatientIdentifierRecognizer,
)
from openhaven.textdeid.recognizers.person_name_recognizer import PersonNameRecognizer
from openhaven.textdeid.recognizers.phone_recognizer import PhoneRecognizer
from openhaven.textdeid.recognizers.postcode_recognizer import PostcodeRecognizer
from openhaven.textdeid.recognizers.url_recognizer import UrlRecognizer
from openhaven.textdeid.registry import register_recognizer

BUILT_INS = (
    PatientIdentifierRecognizer(),
    NhsNumberRecognizer(),
    DateRecognizer(),
    PostcodeRecognizer(),
    PhoneRecognizer(),
    EmailRecognizer(),
    UrlRecognizer(),
    NiNumberRecognizer(),
    HospitalNumberRecognizer(),
    AgeRecognizer(),
    AddressRecognizer(),
    PersonNameRecognizer(),
)

for _recognizer in BUILT_INS:
    register_recognizer(_recognizer)
