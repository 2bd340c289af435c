"""workers: the machine and start time that tell whether a worker's process has ended

Revision ID: 0003_liveness
Revises: 0009_media_host
Create Date: 2026-12-06 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_liveness'
down_revision = '0009_media_host'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('machine', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('process_start', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_column('process_start')
        batch_op.drop_column('machine')
