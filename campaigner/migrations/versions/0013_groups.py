"""groups of accounts; deleted deliveries (``post delete``)

A new delivery status (``deleted``), attempt kind (``delete``) and attempt outcomes (``deleted``,
``deleted_by_hand``, ``not_supported``) need no schema change: statuses and outcomes are stored as
plain strings. Only the downgrade has work for them (older code cannot read them).

Revision ID: 0013_groups
Revises: 0011_stance
Create Date: 2026-12-07 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_groups'
down_revision = '0011_stance'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_groups')),
    sa.UniqueConstraint('name', name=op.f('uq_account_groups_name'))
    )
    op.create_table('group_members',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_group_members_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['account_groups.id'],
                            name=op.f('fk_group_members_group_id_account_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'account_id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    # Older code cannot read a ``deleted`` delivery or a delete attempt's outcome (every query that
    # meets one fails): a deleted delivery becomes ``published`` again (it did go out; older code's
    # metrics then find it gone), and the delete attempts go.
    op.execute("DELETE FROM attempts WHERE kind = 'delete'")
    op.execute("UPDATE deliveries SET status = 'published' WHERE status = 'deleted'")
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_members_account_id'))
    op.drop_table('group_members')
    op.drop_table('account_groups')
