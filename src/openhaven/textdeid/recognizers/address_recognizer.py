"""Street addresses: a house number (and a flat, if any) then a street name ending in a
street word (Road, Lane, Close...)."""

from __future__ import annotations

import re

from openhaven.textdeid.pattern_recognizer import Pattern, PatternRecognizer

STREET_WORDS = (
    "Road", "Rd", "Street", "St", "Lane", "Avenue", "Ave", "Close", "Drive", "Way", "Crescent",
    "Gardens", "Place", "Terrace", "Grove", "Court", "Green", "Hill", "Park", "Row", "Walk",
    "Square", "Mews", "Rise", "View", "Parade", "Vale", "Mead", "Meadows", "Fields", "Gate",
)


class AddressRecognizer(PatternRecognizer):
    name = "street_address"
    entities = ("ADDRESS",)
    patterns = (
        Pattern(
            "house number and street",
            re.compile(
                r"(?:\b(?:Flat|Apartment|Apt)\.? \d+[A-Z]?,? )?\b\d{1,4}[A-Z]?,? "
                r"(?:[A-Z][a-z']+ ){0,3}(?:" + "|".join(STREET_WORDS) + r")\b"
            ),
            "ADDRESS", 0.85, ("lives at", "address", "of", "resides at"), 0.95,
        ),
        Pattern(
            "named street",
            re.compile(r"\b(?:The )?(?:[A-Z][a-z']+ ){1,2}(?:Road|Street|Lane|Avenue|Close|"
                       r"Drive|Crescent|Gardens|Terrace|Grove|Mews)\b"),
            "ADDRESS", 0.55, ("lives at", "lives on", "address", "resides"), 0.85,
        ),
    )
