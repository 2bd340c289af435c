"""Each reply's kind remembers the version of the classifier that decided it (``kind_version``:
a short hash of the stance rules and their data, ``content.classifier_version``).

Replies stored before this revision have none (NULL): nobody knows which classifier judged them,
so they count as judged by another one and are judged again — newest first, a batch each time
the engine polls, or all at once with ``campaigner replies reclassify``. Their inbox state
(answered, dismissed) is kept.

Revision ID: 0018_kind_version
Revises: 0017_snapshot_order
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_kind_version'
down_revision = '0017_snapshot_order'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind_version', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_column('kind_version')
