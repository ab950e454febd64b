"""The only door to the data engines (DuckDB now; Spark where users outgrow one machine).

Domain packages describe data work as SQL over Arrow tables and hand it to a session from
here; nothing else in the project imports duckdb. See docs/decisions/0002-engine-boundary.md.
"""

from openhaven.engine.duckdb_session import DataSession, open_session
from openhaven.engine.functions import register_scalar_function, registered_functions

__all__ = ["DataSession", "open_session", "register_scalar_function", "registered_functions"]
