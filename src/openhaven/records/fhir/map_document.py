"""FHIR DocumentReference to a ``notes`` row: the note text travels base64 in the resource.

Only inline text is taken: ``content[0].attachment.data`` decoded as UTF-8. An attachment
that is only a URL (the haven fetches nothing from outside), or that is not text, is a
valid resource the haven cannot hold, so it is quarantined with that reason. Bad base64 is
invalid input. The note type comes from the LOINC document type (see
``systems.NOTE_TYPE_IN``); an unrecognised type is recorded as a consultation and noted.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from openhaven.records.fhir.context import ResourceContext, Unresolvable
from openhaven.records.fhir.elements import ElementError, obj, objects, string
from openhaven.records.fhir.map_clinical import event_date
from openhaven.records.fhir.systems import DEFAULT_NOTE_TYPE, NOTE_TYPE_IN, NOTE_TYPES


def map_document_reference(resource: dict[str, Any], ctx: ResourceContext) -> None:
    patient = ctx.subject()
    encounter = _encounter(resource, ctx)
    when = event_date(resource, ctx, [("date", None)], required=False)
    context = obj(resource, "context", ctx.path)
    if when is None and context is not None:
        period = obj(context, "period", ctx.field("context"))
        if period is not None and "start" in period:
            when = event_date({"period": period}, ctx, [("period", "start")], required=False)
    if when is None:
        raise ElementError(ctx.field("date"), "needs a date (date or context.period.start)")
    text = _text(resource, ctx)
    ctx.staging.add_row(
        "notes", ctx.item, (ctx.own_id, patient, encounter, when, _note_type(resource, ctx), text)
    )


def _encounter(resource: dict[str, Any], ctx: ResourceContext) -> str | None:
    context = obj(resource, "context", ctx.path)
    if context is None:
        return None
    encounters = objects(context, "encounter", ctx.field("context"))
    if not encounters:
        return None
    return ctx.encounter({"encounter": encounters[0]}, "encounter")


def _note_type(resource: dict[str, Any], ctx: ResourceContext) -> str:
    concept = obj(resource, "type", ctx.path)
    if concept is not None:
        for index, coding in enumerate(objects(concept, "coding", ctx.field("type"))):
            code = string(coding, "code", f"{ctx.field('type')}.coding[{index}]")
            if code in NOTE_TYPE_IN:
                return NOTE_TYPE_IN[code]
        text = string(concept, "text", ctx.field("type"))
        if text in NOTE_TYPES:
            return text
    ctx.note_absent("document type not recognised (recorded as consultation)")
    return DEFAULT_NOTE_TYPE


def _text(resource: dict[str, Any], ctx: ResourceContext) -> str:
    contents = objects(resource, "content", ctx.path)
    if not contents:
        raise ElementError(ctx.field("content"), "is required but missing")
    where = ctx.field("content[0].attachment")
    attachment = obj(contents[0], "attachment", ctx.field("content[0]"))
    if attachment is None:
        raise ElementError(where, "is required but missing")
    content_type = string(attachment, "contentType", where)
    data = string(attachment, "data", where)
    if data is None:
        if string(attachment, "url", where) is not None:
            raise Unresolvable(f"{where} is not inline (url only); the haven fetches nothing")
        raise Unresolvable(f"{where} has no data")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ElementError(f"{where}.data", "must be base64") from None
    if content_type is not None and not content_type.startswith("text/"):
        raise Unresolvable(f"{where} is not text (contentType is not text/*)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unresolvable(f"{where} is not UTF-8 text") from None
