"""attempt outcomes as short codes

The outcomes written before this revision in prose are rewritten to their codes (the column keeps
its type: VARCHAR(32), now read as ``AttemptOutcome``).

Revision ID: 0005_outcomes
Revises: 0003_liveness
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_outcomes'
down_revision = '0003_liveness'
branch_labels = None
depends_on = None

#: old spelling → code (the first is 41 characters: PostgreSQL refused it, SQLite kept it)
RENAMED = {
    'published (found after duplicate refusal)': 'already_published',
    'resolved by hand: found': 'resolved_found',
    'resolved by hand: resend': 'resolved_resend',
}
#: codes older code does not know → the nearest old meaning
BACK = {
    'already_published': 'unknown',   # old code looks for it before any new send
    'not_visible': 'cannot_tell',
    'resolved_found': 'resolved by hand: found',
    'resolved_resend': 'resolved by hand: resend',
}

_attempts = sa.table('attempts', sa.column('outcome', sa.String(64)))


def _rename(mapping: dict[str, str]) -> None:
    for old, new in mapping.items():
        op.execute(_attempts.update().where(_attempts.c.outcome == old).values(outcome=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename(BACK)
