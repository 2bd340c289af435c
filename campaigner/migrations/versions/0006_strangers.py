"""replies.language holds a whole BCP-47 tag (35 characters, RFC 5646 §4.4.1)

A platform's tag such as ``zh-Hant-TW`` or ``sr-Latn-RS`` did not fit varchar(8), and PostgreSQL
refused the reply (and the rest of the run). Longer tags are cut by RFC 5646 §4.4.2 before they
are stored (``content.untrusted.language_tag``).

Revision ID: 0006_strangers
Revises: 0002_engine
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_strangers'
down_revision = '0002_engine'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=8), type_=sa.String(length=35),
                              existing_nullable=True)


def downgrade() -> None:
    op.execute("UPDATE replies SET language = substr(language, 1, 8) WHERE length(language) > 8")
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=35), type_=sa.String(length=8),
                              existing_nullable=True)
