"""drafts and approval: an account's requires_approval, a post's approval state, its reviews

The delivery status column is a plain string (``_enum`` makes no native enum and no CHECK
constraint), so the new ``draft`` and ``rejected`` values need no ALTER TYPE nor a table rewrite.

Revision ID: 0012_drafts
Revises: 0015_listening
Create Date: 2026-12-06 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_drafts'
down_revision = '0015_listening'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_approval', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval', sa.String(length=16), nullable=True))
    op.create_table(
        'post_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('reviewer', sa.String(length=128), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_reviews_post_id_posts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_post_reviews')),
    )
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_reviews_post_id'), ['post_id'], unique=False)


def downgrade() -> None:
    # older code knows neither status: a draft or a rejected post is one nobody sends (cancelled)
    op.execute("UPDATE deliveries SET status = 'cancelled' WHERE status IN ('draft', 'rejected')")
    with op.batch_alter_table('post_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_reviews_post_id'))
    op.drop_table('post_reviews')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('approval')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('requires_approval')
