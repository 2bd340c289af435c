"""Meta platforms: a part's publishing progress (a media container being processed); reach and
shares in metric snapshots

Revision ID: 0010_meta
Revises: 0005_outcomes
Create Date: 2026-12-06 18:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_meta'
down_revision = '0005_outcomes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('delivery_parts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress', sa.JSON(), nullable=True))
    with op.batch_alter_table('metric_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reach', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('shares', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('metric_snapshots', schema=None) as batch_op:
        batch_op.drop_column('shares')
        batch_op.drop_column('reach')
    with op.batch_alter_table('delivery_parts', schema=None) as batch_op:
        batch_op.drop_column('progress')
