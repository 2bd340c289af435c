"""A platform's refusal of the credentials the daily listening counts with gets a table of its own
(``listening_refusals``: the platform, the account, the secret field, when), where it was a
``refused:ACCOUNT:FIELD `` prefix on the "why" kept in the platform's ``listening_failing:PLATFORM``
row of ``job_runs`` (its ``ran_by``); and deliveries get an index on (status, published_at).

The upgrade moves each prefix into a row (its time: the row's ``ran_at``, when the platform's
failures began: the refusal itself was not timed) and leaves the "why" alone; the downgrade puts
the prefix back (the "why" cut, with "…", to the column's 128 characters) and drops the table.

The index: the weekly report selects the week's deliveries by status and ``published_at``
(``status IN ('published', 'deleted') AND published_at >= :start AND published_at < :end``), the
metric and reply polls and ``status`` the recent published ones. Without it SQLite read every
delivery of the status through ``ix_deliveries_status_due`` and PostgreSQL scanned the table; with
it both read the range. An index on ``published_at`` alone is not used by SQLite, which has no
statistics here (campaigner never runs ANALYZE) and prefers the status index's equality
(``bench/published_at_plans.py`` prints the plans and times of the three).

Revision ID: 0019_refusals
Revises: 0018_kind_version
"""
from alembic import op
import sqlalchemy as sa


revision = '0019_refusals'
down_revision = '0018_kind_version'
branch_labels = None
depends_on = None

#: the rows that held the prefix, and the prefix ("refused:ACCOUNT:FIELD WHY"; neither has a space)
FAILING = "listening_failing:"
REFUSED = "refused:"
#: ``job_runs.ran_by``'s size
WHY_LENGTH = 128


def upgrade() -> None:
    op.create_table(
        'listening_refusals',
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('account', sa.String(length=64), nullable=False),
        sa.Column('field', sa.String(length=64), nullable=False),
        sa.Column('refused_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('platform', name=op.f('pk_listening_refusals')),
    )
    op.create_index('ix_deliveries_status_published', 'deliveries', ['status', 'published_at'], unique=False)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT name, ran_at, ran_by FROM job_runs WHERE name LIKE 'listening_failing:%' "
                                "AND ran_by LIKE 'refused:%'")).all()
    for name, ran_at, kept in rows:
        who, _sep, why = kept[len(REFUSED):].partition(" ")
        account, _sep, field = who.partition(":")
        if not (account and field and name.startswith(FAILING)):
            continue  # not a prefix this code wrote: left as it is
        if ran_at is not None:
            conn.execute(sa.text("INSERT INTO listening_refusals (platform, account, field, refused_at) "
                                 "VALUES (:platform, :account, :field, :at)"),
                         {"platform": name[len(FAILING):], "account": account, "field": field, "at": ran_at})
        conn.execute(sa.text("UPDATE job_runs SET ran_by = :why WHERE name = :name"), {"why": why, "name": name})


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT j.name, j.ran_by, r.account, r.field FROM listening_refusals r "
                                "JOIN job_runs j ON j.name = :failing || r.platform"), {"failing": FAILING}).all()
    for name, why, account, field in rows:
        prefix = f"{REFUSED}{account}:{field} "
        room = WHY_LENGTH - len(prefix)
        why = why or ""
        cut = why if len(why) <= room else why[:max(room - 1, 0)] + "…"
        conn.execute(sa.text("UPDATE job_runs SET ran_by = :kept WHERE name = :name"),
                     {"kept": (prefix + cut)[:WHY_LENGTH], "name": name})
    op.drop_index('ix_deliveries_status_published', table_name='deliveries')
    op.drop_table('listening_refusals')
