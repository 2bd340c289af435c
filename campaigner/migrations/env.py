"""Alembic environment: runs on the engine (or connection) campaigner hands over."""
from alembic import context

from campaigner.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


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
        run(conn)
        conn.commit()
