"""Building Arrow columns from numpy arrays without a Python loop per row.

The generator works on integer arrays (indices, day numbers) and only turns them into
strings and dates at the end; these helpers do that conversion in bulk, which is what keeps
a million-patient population within a minute.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

EPOCH = np.datetime64("1970-01-01", "D")


def numbered_ids(prefix: str, numbers: Ints, digits: int) -> pa.StringArray:
    """Strings ``prefix`` + ``numbers`` zero-padded to ``digits``, built as raw bytes."""
    count = int(numbers.size)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    width = head.size + digits
    out = np.empty((count, width), dtype=np.uint8)
    out[:, : head.size] = head
    remaining = numbers.astype(np.int64, copy=True)
    for position in range(width - 1, head.size - 1, -1):
        out[:, position] = (remaining % 10 + 48).astype(np.uint8)
        remaining //= 10
    if count and remaining.max() > 0:
        raise ValueError(f"a number does not fit in {digits} digits")
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(  # type: ignore[no-any-return]
        count, pa.py_buffer(offsets), pa.py_buffer(out.tobytes())
    )


def pick(vocabulary: Sequence[str] | pa.Array, indices: Ints) -> pa.Array:
    """``vocabulary[i]`` for each index; a negative index gives null."""
    values = vocabulary if isinstance(vocabulary, pa.Array) else pa.array(vocabulary, pa.string())
    mask = indices < 0
    taken = pa.array(np.where(mask, 0, indices), type=pa.int64(), mask=mask if mask.any() else None)
    return values.take(taken)


def dates(days: Ints, missing: Bools | None = None) -> pa.Array:
    """Day numbers since 1970-01-01 as a date32 column, null where ``missing``."""
    mask = missing if missing is not None and missing.any() else None
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=mask)


def doubles(values: Floats, missing: Bools | None = None) -> pa.Array:
    mask = missing if missing is not None and missing.any() else None
    return pa.array(values, type=pa.float64(), mask=mask)


def strings(series: pl.Series) -> pa.Array:
    """A polars string series as an Arrow ``string`` column (the record model's type)."""
    return series.to_arrow().cast(pa.string())


def years_to_days(years: Floats) -> Ints:
    result: Ints = np.rint(years * 365.2425).astype(np.int64)
    return result
