"""Alembic environment for the governance database.

Run through ``openhaven.core.database.migrate``, which hands over an open connection; run
from the command line (``alembic upgrade head`` with the repository's ``alembic.ini``), it
connects to ``OPENHAVEN_DATABASE_URL`` or the haven's own SQLite file. Every model module
is imported here so the metadata is complete. SQLite alters tables in batch mode (copy and
rename), since it cannot drop or alter columns in place.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import openhaven.choices.models
import openhaven.governance.models
import openhaven.identity.models
import openhaven.jobs.models
import openhaven.outputs.airlock_models
import openhaven.outputs.models
import openhaven.provisioning.models
import openhaven.transparency.models  # noqa: F401 - these imports register tables on Base.metadata
from openhaven.core.config import Settings
from openhaven.core.database import Base, make_engine

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        run_on(given)
        return
    url = context.config.get_main_option("sqlalchemy.url") or Settings.load().database_url
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_online()
