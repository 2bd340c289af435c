"""prepared media: a rendition per platform; posts that keep their photos' metadata

Revision ID: 0008_renditions
Revises: 0006_strangers
Create Date: 2026-12-06 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_renditions'
down_revision = '0006_strangers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('post_media', schema=None) as batch_op:
        # NULL for media attached before: prepared when they go out (never sent with their location)
        batch_op.add_column(sa.Column('renditions', sa.JSON(), nullable=True))
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keep_metadata', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('keep_metadata')
    with op.batch_alter_table('post_media', schema=None) as batch_op:
        batch_op.drop_column('renditions')
