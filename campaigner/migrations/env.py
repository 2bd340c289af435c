"""Alembic environment: runs on the engine (or connection) campaigner hands over."""
from alembic import context

from campaigner.tables import UTCDateTime, metadata

config = context.config
target_metadata = metadata


def render_item(type_, obj, autogen_context):
    """Write our UTCDateTime as a plain timezone-aware DateTime so migrations never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_item=render_item,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with config.attributes["engine"].connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one: with foreign keys on, the
            # drop would cascade and delete every row that points at it (a post's deliveries, a
            # delivery's parts). Off while migrating (it cannot change inside a transaction), checked
            # after: a migration that broke a reference fails instead of leaving it broken.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # outside SQLAlchemy's BEGIN
        run(conn)
        if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
            conn.rollback()
            raise RuntimeError("a migration left a broken reference between tables")
        conn.commit()
        if sqlite:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")
