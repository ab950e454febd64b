"""The web service: a JSON API and server-rendered pages over the same services."""
