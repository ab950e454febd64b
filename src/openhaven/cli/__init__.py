"""The ``openhaven`` command line: thin commands that parse, call services and render."""
