"""imports: CSV imports written in chunks, queued at the end in one statement

Revision ID: 0007_import
Revises: 0004_expired
Create Date: 2026-12-06 15:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_import'
down_revision = '0004_expired'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imports'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_posts_import_id'), ['import_id'], unique=False)


#: the posts written by imports that never finished (their deliveries are ``importing``)
UNFINISHED_POSTS = "SELECT id FROM posts WHERE import_id IN (SELECT id FROM imports WHERE finished_at IS NULL)"
UNFINISHED_DELIVERIES = f"SELECT id FROM deliveries WHERE post_id IN ({UNFINISHED_POSTS})"


def downgrade() -> None:
    # Older code cannot read the ``importing`` status (every query would fail): what unfinished
    # imports wrote goes first, children first (foreign keys are off while migrating on SQLite).
    for table in ("delivery_parts", "attempts", "metric_snapshots", "replies", "alerts"):
        op.execute(f"DELETE FROM {table} WHERE delivery_id IN ({UNFINISHED_DELIVERIES})")
    op.execute(f"DELETE FROM deliveries WHERE id IN ({UNFINISHED_DELIVERIES})")
    op.execute(f"DELETE FROM post_media WHERE post_id IN ({UNFINISHED_POSTS})")
    op.execute(f"DELETE FROM posts WHERE id IN ({UNFINISHED_POSTS})")
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_import_id'))
        batch_op.drop_column('import_id')
    op.drop_table('imports')
