"""a post the platform is still preparing (attempt outcome ``processing``); the platform's own
publishing quota on the account (``accounts.quota_total``)

Attempt outcomes are plain strings (no CHECK constraint), so ``processing`` needs no change on the
way up; on the way down it is rewritten to ``transient`` (failed for now, surely not posted: what
older code understands of "nothing is out yet, ask again later").

Revision ID: 0014_processing
Revises: 0012_drafts
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_processing'
down_revision = '0012_drafts'
branch_labels = None
depends_on = None

_attempts = sa.table('attempts', sa.column('outcome', sa.String(32)))


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quota_total', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute(_attempts.update().where(_attempts.c.outcome == 'processing').values(outcome='transient'))
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('quota_total')
