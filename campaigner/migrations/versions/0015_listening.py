"""Listening: a campaign's comparison tags, and daily public post counts per hashtag

Revision ID: 0015_listening
Revises: 0013_groups
Create Date: 2026-12-06 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_listening'
down_revision = '0013_groups'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('compare_tags', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    op.create_table(
        'tag_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=128), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=255), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('day_zone', sa.String(length=64), nullable=False),
        sa.Column('posts', sa.Integer(), nullable=False),
        sa.Column('own', sa.Integer(), nullable=False),
        sa.Column('accounts', sa.Integer(), nullable=True),
        sa.Column('at_least', sa.Boolean(), nullable=False),
        sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tag_counts')),
        sa.UniqueConstraint('tag', 'platform', 'source', 'day', name=op.f('uq_tag_counts_tag')),
    )
    op.create_index('ix_tag_counts_day', 'tag_counts', ['day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tag_counts_day', table_name='tag_counts')
    op.drop_table('tag_counts')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('compare_tags')
