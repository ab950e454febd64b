"""Free-text de-identification of the synthetic population's notes, beside Presidio.

The same notes (every note of ``PATIENTS`` generated patients) are de-identified by
OpenHaven (with each note's own patient, and without, to show what record-aware recognition
adds) and, in the same run, by Microsoft Presidio's analyzer when ``presidio-analyzer`` is
installed. Recall is per identifier the notes carry (``openhaven.textdeid.evaluation``);
precision is the share of replaced spans that touch a true identifier; clinical terms kept
is the share of condition and medicine names that survive. Also timed: the
``deidentify_text`` operator inside an extract build (the engine calling the de-identifier
a batch at a time).

Presidio needs a spaCy English model for its PERSON and LOCATION recognizers. spaCy's
models are not published on PyPI (they come from GitHub releases, out of reach here), so
when none is installed Presidio runs over a blank English pipeline: its pattern recognizers
(NHS number with checksum, dates, phone numbers, e-mail, URLs...) only, and the row says so.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from openhaven.records.generator.care_catalogue import MEDICINES
from openhaven.records.generator.conditions import ALL_CONDITIONS
from openhaven.records.generator.note_templates import lay_term
from openhaven.records.generator.population import generate_population
from openhaven.textdeid import PatientIdentifiers, analyse
from openhaven.textdeid.evaluation import DIRECT, Report, score_note, truth_for

PATIENTS = 2000
REPEATS = 2
Spans = list[tuple[int, int]]


def _notes(patients: int) -> list[tuple[str, PatientIdentifiers, list[str]]]:
    tables = generate_population(patients, seed=1)
    people = {row["patient_id"]: PatientIdentifiers.from_mapping(row)
              for row in tables["patients"].to_pylist()}
    terms = [lay_term(c.key) for c in ALL_CONDITIONS] + [m.display for m in MEDICINES.values()]
    return [(row["text"], people[row["patient_id"]], [t for t in terms if t in row["text"]])
            for row in tables["notes"].select(["patient_id", "text"]).to_pylist()]


def _measure(notes: list[tuple[str, PatientIdentifiers, list[str]]],
             find: Callable[[str, PatientIdentifiers], Spans]) -> tuple[Report, float]:
    """Recall and precision, and notes per second (the best of ``REPEATS`` passes: the
    machine is shared, and the fastest pass is the least disturbed)."""
    seconds = float("inf")
    for _ in range(REPEATS):
        found: list[Spans] = []
        started = time.perf_counter()
        for text, patient, _ in notes:
            found.append(find(text, patient))
        seconds = min(seconds, time.perf_counter() - started)
    report = Report()
    for (text, patient, terms), spans in zip(notes, found, strict=True):
        output = _redact(text, spans)
        score_note(report, text, truth_for(text, patient), spans, output, terms)
    return report, len(notes) / seconds


def _redact(text: str, spans: Spans) -> str:
    out, cursor = [], 0
    for start, end in sorted(_union(spans)):
        out.append(text[cursor:start] + "[X]")
        cursor = end
    return "".join(out) + text[cursor:]


def _union(spans: Spans) -> Spans:
    merged: Spans = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _summary(report: Report, rate: float) -> str:
    other = [c for c in report.occurrences if c not in DIRECT]
    return (f"{rate:,.0f} notes/s; recall: direct identifiers "
            f"{report.overall_recall(DIRECT):.2%} (lowest "
            f"{min(report.recall(c) for c in DIRECT):.2%}), others "
            f"{report.overall_recall(other):.2%}; precision {report.precision:.2%}; "
            f"clinical terms kept {report.clinical_survival:.2%}")


def _without_dictionary(notes: list[tuple[str, PatientIdentifiers, list[str]]]) -> Report:
    """Recall when names come from context alone: neither the record nor the lists."""
    from openhaven.textdeid.recognizers import person_name_recognizer as names

    saved = names.given_names, names.family_names
    names.given_names = names.family_names = frozenset  # type: ignore[assignment]
    try:
        report, _ = _measure(notes, lambda text, _patient: [
            (f.start, f.end) for f in analyse(text)])
    finally:
        names.given_names, names.family_names = saved
    return report


def _presidio() -> tuple[Callable[[str, PatientIdentifiers], Spans] | None, str]:
    try:
        import spacy
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError:
        return None, "presidio-analyzer not installed (pip install presidio-analyzer)"
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    version = importlib.metadata.version("presidio-analyzer")
    try:
        spacy.load("en_core_web_sm")
        model, how = "en_core_web_sm", "spaCy en_core_web_sm"
    except OSError:
        blank = Path(tempfile.mkdtemp()) / "blank_en"
        spacy.blank("en").to_disk(blank)
        model = str(blank)
        how = ("no spaCy English model installable from PyPI, so a blank pipeline: pattern "
               "recognizers only, no PERSON/LOCATION")
    engine = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}],
    }).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])

    def find(text: str, _patient: PatientIdentifiers) -> Spans:
        return [(r.start, r.end) for r in analyzer.analyze(text=text, language="en")]

    return find, f"Presidio {version} ({how}; default score threshold)"


def _operator_rate(patients: int) -> tuple[float, int]:
    """Notes per second through ``deidentify_text:182`` inside an extract build."""
    from openhaven.provisioning.extract_builder import build_extract
    from openhaven.provisioning.pseudonym import project_key
    from openhaven.provisioning.specification import DatasetSpecification
    from openhaven.records.store import open_store, upsert_all

    tables = generate_population(patients, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "records.duckdb"
        with open_store(store) as session:
            upsert_all(session, {"patients": tables["patients"], "notes": tables["notes"]})
        spec = DatasetSpecification.from_dict({"free_text": "deidentified", "tables": {"notes": {
            "patient_id": "pseudonymise", "note_date": "date_shift", "text":
            "deidentify_text:182"}}})
        started = time.perf_counter()
        build = build_extract(store, Path(folder) / "v1", specification=spec,
                              project_key=project_key(bytes(32), "BENCH"),
                              opted_out_nhs_numbers=[], cut_off=dt.date(2026, 1, 1))
        seconds = time.perf_counter() - started
    rows = build.row_counts["notes"]
    return rows / seconds, rows


def run(quick: bool = False) -> list[dict[str, str]]:
    patients = 200 if quick else PATIENTS
    notes = _notes(patients)
    ours, rate = _measure(notes, lambda text, patient: [
        (f.start, f.end) for f in analyse(text, patient)])
    blind, blind_rate = _measure(notes, lambda text, _patient: [
        (f.start, f.end) for f in analyse(text)])
    contextual = _without_dictionary(notes)
    presidio, anchor_how = _presidio()
    if presidio is not None:
        theirs, their_rate = _measure(notes, presidio)
        anchor = f"{anchor_how}: {_summary(theirs, their_rate)}"
        per_category = ", ".join(f"{c} {theirs.recall(c):.0%}"
                                 for c in sorted(theirs.occurrences))
        anchor += f"; per kind: {per_category}"
    else:
        anchor = f"Presidio not measured: {anchor_how}"
    operator_rate, operator_rows = _operator_rate(patients)
    per_category = ", ".join(f"{c} {ours.recall(c):.2%}" for c in sorted(ours.occurrences))
    return [
        {"benchmark": f"text de-identification: {len(notes):,} notes of {patients:,} patients",
         "measured": f"{_summary(ours, rate)}; per kind: {per_category}",
         "anchor": anchor,
         "notes": f"one core, best of {REPEATS} passes, load average "
                  f"{os.getloadavg()[0]:.1f}; with each note's own patient (record-aware). "
                  "Without the record: "
                  + _summary(blind, blind_rate)
                  + ". Without the record and without the name dictionary (names by context "
                    f"only): names {contextual.recall('clinician_name'):.2%} of clinicians, "
                    f"{contextual.recall('relative_name'):.2%} of relatives, "
                    f"{contextual.recall('patient_name'):.2%} of patients' own"
                  + ". The name dictionary is the generator's own name lists, so name recall "
                    "on these notes is optimistic for real text"},
        {"benchmark": f"text de-identification: deidentify_text:182 in an extract build, "
                      f"{operator_rows:,} notes",
         "measured": f"{operator_rate:,.0f} notes/s (whole build, engine UDF)",
         "anchor": f"{rate:,.0f} notes/s de-identifying alone",
         "notes": "patients joined for record-aware recognition; dates shifted with date_shift"},
    ]
