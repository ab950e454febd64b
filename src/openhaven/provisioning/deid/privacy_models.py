"""Privacy models: which equivalence classes of a transformed table are safe enough.

Each model judges all classes at once from their sizes and, for models about a sensitive
attribute, their histograms of sensitive values (one row per class). A record in a class that
fails any model is an outlier: the suppression limit decides whether the transformation may
suppress it or must be rejected.

``monotonic_with_suppression`` says whether generalising further can only keep or reduce the
number of outliers. It holds for k-anonymity and distinct-l-diversity (merging classes keeps
their sizes and distinct values), not for entropy-l-diversity or t-closeness, where merging a
safe class with an unsafe one can produce an unsafe class. Without suppression every model here
is monotonic, because merging safe classes keeps them safe; the search relies on this to prune.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ClassView:
    """What the models see of one transformation: class sizes, and sensitive histograms."""

    sizes: IntArray
    #: classes x sensitive values counts, or None when no sensitive attribute is declared
    histograms: IntArray | None = None
    #: the sensitive attribute's distribution over the whole table
    overall: FloatArray | None = None


class PrivacyModel(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def monotonic_with_suppression(self) -> bool: ...

    @property
    def needs_sensitive(self) -> bool: ...

    def classes_ok(self, view: ClassView) -> BoolArray: ...

    def describe(self) -> dict[str, Any]: ...


def _histograms(view: ClassView, model: str) -> IntArray:
    if view.histograms is None:
        raise ValueError(f"{model} needs a sensitive attribute")
    return view.histograms


@dataclass(frozen=True)
class KAnonymity:
    """Every class holds at least ``k`` records."""

    k: int
    name: str = "k-anonymity"
    monotonic_with_suppression: bool = True
    needs_sensitive: bool = False

    def classes_ok(self, view: ClassView) -> BoolArray:
        return view.sizes >= self.k

    def describe(self) -> dict[str, Any]:
        return {"model": self.name, "k": self.k}


@dataclass(frozen=True)
class DistinctLDiversity:
    """Every class holds at least ``l`` distinct values of the sensitive attribute."""

    l: int  # noqa: E741 - the model's own name for it
    name: str = "distinct-l-diversity"
    monotonic_with_suppression: bool = True
    needs_sensitive: bool = True

    def classes_ok(self, view: ClassView) -> BoolArray:
        distinct = np.count_nonzero(_histograms(view, self.name), axis=1)
        ok: BoolArray = distinct >= self.l
        return ok

    def describe(self) -> dict[str, Any]:
        return {"model": self.name, "l": self.l}


@dataclass(frozen=True)
class EntropyLDiversity:
    """The entropy of the sensitive values in every class is at least ``log(l)``.

    Written as ``sum(n_i ln n_i) <= N (ln N - ln l)`` so that no division or per-class loop is
    needed; a class also needs at least ``ceil(l)`` distinct values.
    """

    l: float  # noqa: E741
    name: str = "entropy-l-diversity"
    monotonic_with_suppression: bool = False
    needs_sensitive: bool = True

    def classes_ok(self, view: ClassView) -> BoolArray:
        histograms = _histograms(view, self.name).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            n_log_n = np.where(histograms > 0, histograms * np.log(histograms), 0.0)
        totals = histograms.sum(axis=1)
        bound = totals * (np.log(np.maximum(totals, 1.0)) - math.log(self.l))
        distinct = np.count_nonzero(histograms, axis=1)
        ok: BoolArray = (n_log_n.sum(axis=1) <= bound + 1e-12) & (distinct >= math.ceil(self.l))
        return ok

    def describe(self) -> dict[str, Any]:
        return {"model": self.name, "l": self.l}


@dataclass(frozen=True)
class EqualDistanceTCloseness:
    """The distribution of the sensitive attribute in every class is within ``t`` of the whole
    table's, by the earth mover's distance with all values equally far apart (half the L1
    distance between the two distributions)."""

    t: float
    name: str = "t-closeness (equal distance)"
    monotonic_with_suppression: bool = False
    needs_sensitive: bool = True

    def classes_ok(self, view: ClassView) -> BoolArray:
        histograms = _histograms(view, self.name).astype(np.float64)
        shares = histograms / histograms.sum(axis=1, keepdims=True)
        distance = 0.5 * np.abs(shares - _overall(view)).sum(axis=1)
        ok: BoolArray = distance <= self.t + 1e-12
        return ok

    def describe(self) -> dict[str, Any]:
        return {"model": self.name, "t": self.t}


@dataclass(frozen=True)
class OrderedDistanceTCloseness:
    """t-closeness with the ordered distance: values have an order (numeric when every value
    is a number, else text order) and moving mass between neighbours costs ``1 / (m - 1)``.
    The histogram columns must already be in that order."""

    t: float
    name: str = "t-closeness (ordered distance)"
    monotonic_with_suppression: bool = False
    needs_sensitive: bool = True

    def classes_ok(self, view: ClassView) -> BoolArray:
        histograms = _histograms(view, self.name).astype(np.float64)
        values = histograms.shape[1]
        if values < 2:
            return np.ones(histograms.shape[0], dtype=np.bool_)
        shares = histograms / histograms.sum(axis=1, keepdims=True)
        running = np.cumsum(shares - _overall(view), axis=1)
        distance = np.abs(running[:, :-1]).sum(axis=1) / (values - 1)
        ok: BoolArray = distance <= self.t + 1e-12
        return ok

    def describe(self) -> dict[str, Any]:
        return {"model": self.name, "t": self.t}


def _overall(view: ClassView) -> FloatArray:
    if view.overall is None:
        raise ValueError("t-closeness needs the overall distribution of the sensitive attribute")
    return view.overall


def all_classes_ok(models: list[PrivacyModel], view: ClassView) -> BoolArray:
    """Classes that satisfy every model."""
    ok = np.ones(view.sizes.shape[0], dtype=np.bool_)
    for model in models:
        ok &= model.classes_ok(view)
    return ok
