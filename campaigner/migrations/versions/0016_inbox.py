"""The replies inbox and alerts where the team is: each reply's state (new, answered, dismissed),
what it answers, its address and whether the account wrote it; posts that answer a reply; alerts
sent to Telegram, acknowledged, and about a campaign or a reply

Alerts raised before this revision count as sent to Telegram (``telegram_at``: when they were
raised), so a chat configured later is not flooded with old ones; those already e-mailed are
acknowledged (they were done with, as far as campaigner knew).

Revision ID: 0016_inbox
Revises: 0014_processing
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_inbox'
down_revision = '0014_processing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_remote_id', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('ours', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('state', sa.Enum('new', 'answered', 'dismissed', name='reply_state',
                                                       native_enum=False, create_constraint=False, length=16),
                                      server_default='new', nullable=False))
        batch_op.add_column(sa.Column('state_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_replies_state_created', ['state', 'created_at'], unique=False)
        batch_op.create_index('ix_replies_created', ['created_at'], unique=False)
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers_reply_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_posts_answers_reply_id'), ['answers_reply_id'], unique=False)
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reply_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('burst_end', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_alerts_campaign_id_campaigns'), 'campaigns', ['campaign_id'],
                                    ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_alerts_reply_id_replies'), 'replies', ['reply_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_alerts_kind'), ['kind', 'reply_id'])
    op.execute("UPDATE alerts SET telegram_at = created_at")
    op.execute("UPDATE alerts SET acked_at = notified_at WHERE notified_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_alerts_kind'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_alerts_reply_id_replies'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_alerts_campaign_id_campaigns'), type_='foreignkey')
        batch_op.drop_column('burst_end')
        batch_op.drop_column('reply_id')
        batch_op.drop_column('campaign_id')
        batch_op.drop_column('acked_at')
        batch_op.drop_column('telegram_at')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_answers_reply_id'))
        batch_op.drop_column('answers_reply_id')
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_index('ix_replies_created')
        batch_op.drop_index('ix_replies_state_created')
        batch_op.drop_column('state_at')
        batch_op.drop_column('state')
        batch_op.drop_column('ours')
        batch_op.drop_column('url')
        batch_op.drop_column('parent_remote_id')
