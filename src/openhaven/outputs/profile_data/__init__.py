"""Disclosure profiles shipped with the haven, as YAML data (see docs/outputs.md)."""
