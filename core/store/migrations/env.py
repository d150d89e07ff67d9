"""Alembic environment for the event store. Run through `EventStore.open` (or `edgesight store migrate`),
which passes an open connection in `config.attributes["connection"]`; there is no alembic.ini."""
from alembic import context

from edgesight.core.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
