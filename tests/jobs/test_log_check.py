"""The log check: size, pseudonyms and tabular dumps."""

from __future__ import annotations

from openhaven.jobs.log_check import MAX_LOG_CHARACTERS, check_log, longest_table_run

PSEUDONYM = "0123456789abcdef01234567"


def test_a_short_summary_passes() -> None:
    verdict = check_log("fitted model: AIC 1234.5\nn = 600\n", [PSEUDONYM])
    assert verdict.released


def test_a_pseudonym_anywhere_withholds_the_log() -> None:
    verdict = check_log(f"row: {PSEUDONYM.upper()[:15]}… female 1950\n", [PSEUDONYM])
    assert not verdict.released and "pseudonym" in verdict.reason
    assert PSEUDONYM not in verdict.reason


def test_a_long_table_withholds_the_log() -> None:
    dump = "\n".join(f"{i}, female, 19{i % 90:02d}, E11" for i in range(40))
    assert longest_table_run(dump) == 40
    assert not check_log(dump, []).released


def test_a_short_table_passes() -> None:
    table = "\n".join(f"band {i} | {i * 100} | {i * 2.5}" for i in range(5))
    assert check_log(table, []).released


def test_an_overlong_log_is_withheld() -> None:
    assert not check_log("x" * (MAX_LOG_CHARACTERS + 1), []).released
    assert not check_log("short", [], truncated=True).released
