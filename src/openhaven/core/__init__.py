"""Configuration, errors, the haven's folder layout and time: depends on nothing else here."""
