"""The airlock's machinery: controlled rounding, the cell key method, file rules, manifests.

* controlled rounding of a 100 × 50 table of counts (5,000 cells, 151 margins) to base 5,
  solved with HiGHS, beside plain independent rounding of the same table;
* the cell key method over 1,000,000 records (record keys by HMAC, a 10 × 8 table with
  margins), beside a plain count of the same table;
* the file rules over a 10,000-row CSV (the default row limit);
* signing and verifying a release manifest over a 5 MiB file (the default size limit).

Each figure is the best of three runs. Quick mode (a smoke run) uses small sizes.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from openhaven.core.haven import Haven
from openhaven.ledger.signing_key import signing_key
from openhaven.outputs.airlock_manifest import (
    file_sha256,
    sign_manifest,
    verify_release_folder,
    write_manifest,
)
from openhaven.outputs.file_rules import check_output_file
from openhaven.outputs.perturbation_cell_key import perturb_crosstab, record_key
from openhaven.outputs.perturbation_rounding import controlled_round
from openhaven.outputs.rounding import round_to_base
from timing import best_of, load_average


def run(quick: bool = False) -> list[dict[str, str]]:
    rng = np.random.default_rng(5)
    rows, cols = (20, 10) if quick else (100, 50)
    table = rng.integers(0, 60, (rows, cols)).tolist()
    controlled = best_of(lambda: controlled_round(table, 5))
    plain = best_of(lambda: [[round_to_base(v) for v in row] for row in table])
    records = 20_000 if quick else 1_000_000
    groups = list(zip(rng.integers(0, 10, records).tolist(), rng.integers(0, 8, records).tolist(),
                      strict=True))
    ids = [f"p{i:08d}" for i in range(records)]
    started = time.perf_counter()
    keys = [record_key(b"bench secret", i) for i in ids]
    keying = time.perf_counter() - started
    cell_key = best_of(lambda: perturb_crosstab((r, c, k) for (r, c), k in zip(groups, keys,
                                                                             strict=True)))
    counting = best_of(lambda: Counter(groups))
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        csv_rows = 1_000 if quick else 10_000
        csv = base / "table.csv"
        csv.write_text("region,band,count\n" + "".join(
            f"r{i % 10},b{i % 8},{i % 977}\n" for i in range(csv_rows)))
        rules = best_of(lambda: check_output_file(csv))
        haven = Haven.open(base / "haven")
        release = base / "release"
        release.mkdir()
        blob = release / "figure.png"
        blob.write_bytes(os.urandom((512 if quick else 5 * 1024) * 1024))

        def sign() -> None:
            manifest = {"files": [{"name": blob.name, "sha256": file_sha256(blob),
                                   "size": blob.stat().st_size}]}
            write_manifest(release, *sign_manifest(haven, manifest))

        signing = best_of(sign)
        public = signing_key(haven).public_key()
        verifying = best_of(lambda: verify_release_folder(release, public))
        assert verify_release_folder(release, public).valid
        kib = blob.stat().st_size // 1024
    note = load_average()
    return [
        {"benchmark": f"airlock: controlled rounding {rows}×{cols}",
         "measured": f"{controlled * 1000:.0f} ms",
         "anchor": f"independent rounding {plain * 1000:.1f} ms (not additive)",
         "notes": f"HiGHS via scipy.optimize.milp, base 5; {note}"},
        {"benchmark": f"airlock: cell key method, {records:,} records",
         "measured": f"{cell_key:.2f} s (+ {keying:.2f} s record keys)",
         "anchor": f"plain count {counting:.2f} s",
         "notes": f"10×8 table with margins, p-table D=2 V=1; {note}"},
        {"benchmark": f"airlock: file rules, {csv_rows:,}-row CSV",
         "measured": f"{rules * 1000:.0f} ms", "anchor": "well under the 1 s a checker waits",
         "notes": f"names and values scanned for NHS numbers and pseudonyms; {note}"},
        {"benchmark": f"airlock: sign + verify manifest, {kib:,} KiB",
         "measured": f"{signing * 1000:.0f} ms + {verifying * 1000:.0f} ms",
         "anchor": "SHA-256 bound", "notes": f"Ed25519, ledger signing key; {note}"},
    ]
