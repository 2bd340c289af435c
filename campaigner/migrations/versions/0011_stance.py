"""Stance: what a campaign is against and for; each reply's kind (question, support, oppose,
other) and the rule that decided it

Replies stored before this revision have no kind (NULL): ``campaigner init`` classifies them
after upgrading, and collecting replies classifies any left (``services.replies.classify_pending``).

Revision ID: 0011_stance
Revises: 0010_meta
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_stance'
down_revision = '0010_meta'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('targets_against', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('targets_for', sa.JSON(), nullable=True))
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('kind_reason', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_column('kind_reason')
        batch_op.drop_column('kind')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('targets_for')
        batch_op.drop_column('targets_against')
