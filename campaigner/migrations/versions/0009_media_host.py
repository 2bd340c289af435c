"""media_files: what campaigner put in the public media place, and when

Revision ID: 0009_media_host
Revises: 0007_import
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_media_host'
down_revision = '0007_import'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('media_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_files')),
    sa.UniqueConstraint('name', name=op.f('uq_media_files_name')),
    sa.UniqueConstraint('sha256', name=op.f('uq_media_files_sha256'))
    )
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_files_published_at'), ['published_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_files_published_at'))

    op.drop_table('media_files')
