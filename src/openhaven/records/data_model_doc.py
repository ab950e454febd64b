"""Render the record model as Markdown, so docs/data-model.md cannot drift from the code.

``python -m openhaven.records.data_model_doc`` rewrites the generated part of the document;
a test fails when the committed document differs from what this renders.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openhaven.records.schema import TABLES

BEGIN = "<!-- BEGIN GENERATED TABLES -->"
END = "<!-- END GENERATED TABLES -->"


def render_tables() -> str:
    parts = []
    for table in TABLES:
        parts.append(f"### `{table.name}`\n\n{table.description} Key: `{table.key}`.\n")
        parts.append("| column | type | nullable | identifiability | meaning |")
        parts.append("|---|---|---|---|---|")
        for c in table.columns:
            parts.append(
                f"| `{c.name}` | {c.type.value} | {'yes' if c.nullable else 'no'} | "
                f"{c.identifiability.value.replace('_', ' ')} | {c.description} |"
            )
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def rewrite(document: Path) -> bool:
    """Replace the generated part of ``document``; True if it changed."""
    text = document.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    updated = f"{head}{BEGIN}\n{render_tables()}{END}{tail}"
    if updated != text:
        document.write_text(updated, encoding="utf-8")
        return True
    return False


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/data-model.md")
    rewrite(target)
