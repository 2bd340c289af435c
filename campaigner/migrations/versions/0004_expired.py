"""lateness limits: the expired status, a delivery's moment and limit, an account's limit

The status column is a plain string (``_enum`` makes no native enum and no CHECK constraint), so
the new ``expired`` value needs no ALTER TYPE on PostgreSQL nor a table rewrite on SQLite.

Revision ID: 0004_expired
Revises: 0008_renditions
Create Date: 2026-12-06 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_expired'
down_revision = '0008_renditions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_late_minutes', sa.Integer(), nullable=True))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('max_late_minutes', sa.Integer(), nullable=True))


def downgrade() -> None:
    # older code knows no expired status: failed is what it shows a person (and never sends by itself)
    op.execute("UPDATE deliveries SET status = 'failed' WHERE status = 'expired'")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('max_late_minutes')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('intended_at')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('max_late_minutes')
