"""Openness: the public register of data uses (and, with later work, "how my data was used")."""
