"""Provisioning: from the record store to a project's de-identified extract, inside the haven."""
