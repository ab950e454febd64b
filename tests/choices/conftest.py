"""Choices tests; pytest puts this folder on the path, so tests import choice_fixtures."""
