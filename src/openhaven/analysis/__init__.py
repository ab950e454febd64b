"""Analysis: declarative queries over a project's extract, compiled to the engine.

Results of this package are *unchecked*: the only way out to a researcher is through
``openhaven.outputs``, which applies disclosure control first.
"""
