"""The metric snapshots' index follows the order the latest snapshot is picked in: (delivery_id,
collected_at, id), where it was (delivery_id, collected_at).

The weekly report picks each delivery's latest snapshot before the week's end with ``ORDER BY
collected_at DESC, id DESC LIMIT 1``. With ``id`` in the index, PostgreSQL reads the first entry
of a backward index scan; without it, it sorted every delivery's snapshots (an incremental sort
per delivery: half the time of the report's two largest queries on a week of 50,000 deliveries).
On SQLite the old index already ended with the rowid (``id``): nothing changes there but the name.

Revision ID: 0017_snapshot_order
Revises: 0016_inbox
"""
from alembic import op


revision = '0017_snapshot_order'
down_revision = '0016_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_metric_snapshots_delivery_time_id', 'metric_snapshots', ['delivery_id', 'collected_at', 'id'],
                    unique=False)
    op.drop_index('ix_metric_snapshots_delivery_time', table_name='metric_snapshots')


def downgrade() -> None:
    op.create_index('ix_metric_snapshots_delivery_time', 'metric_snapshots', ['delivery_id', 'collected_at'],
                    unique=False)
    op.drop_index('ix_metric_snapshots_delivery_time_id', table_name='metric_snapshots')
