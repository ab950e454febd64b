"""Choices: patients' recorded opt-outs (and withdrawals), as append-only events."""
