"""Outputs: disclosure control of every result before it can leave the haven."""
