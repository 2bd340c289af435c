"""``campaigner replies …``: the inbox of strangers' replies — list, show, answer, dismiss, reopen.

A reply's text, its author and every address come from strangers: they are shown through
``content.untrusted.for_display`` (no escape sequences, control characters or bidi overrides).
"""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, short


def _safe(text: str | None) -> str:
    from content.untrusted import for_display

    return for_display(text or "")


def _line(text: str | None, width: int) -> str:
    return short(_safe(text), width)


@click.group()
def replies() -> None:
    """The inbox: replies to the accounts' posts, most urgent first; answer or dismiss them."""


@replies.command("list")
@click.option("--campaign", metavar="SLUG", help="Only replies to this campaign's posts.")
@click.option("--account", metavar="NAME", help="Only replies to this account's posts (or a group's).")
@click.option("--post", "post_id", type=int, metavar="ID", help="Only replies to this post.")
@click.option("--since", metavar="TIME", help='Only replies written since then ("-2h", "3 days ago", "2026-12-01").')
@click.option("--state", type=click.Choice(["new", "answered", "dismissed"], case_sensitive=False),
              help="Only replies in this state (default: all).")
@click.option("--kind", type=click.Choice(["question", "support", "oppose", "other"], case_sensitive=False),
              help="Only replies of this kind.")
@click.option("--limit", type=int, default=None, help="Show at most this many (default 50).")
@click.option("--all", "all_", is_flag=True, help="Show every reply that matches.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (the whole text of each reply).")
@click.pass_obj
def list_(flags, campaign, account, post_id, since, state, kind, limit, all_, as_json) -> None:
    """Replies by others to the accounts' posts, most urgent first: new questions and opposition on
    posts of the last 3 days, then the rest, newest first."""
    from campaigner.services import inbox
    from campaigner.times import format_local, parse_since

    if all_ and limit is not None:
        raise click.UsageError("give --limit N or --all, not both")
    app = flags.app()
    moment = parse_since(since, app.settings.zone, app.now()) if since is not None else None
    wanted = None if all_ else (limit if limit is not None else inbox.DEFAULT_LIMIT)
    rows = inbox.list_replies(app, campaign=campaign, account=account, post=post_id, since=moment, state=state,
                              kind=kind, limit=wanted)
    if as_json:
        echo_json([r.as_dict() for r in rows])
        return
    if not rows:
        click.echo("No replies match." if any(x is not None for x in (campaign, account, post_id, since, state, kind))
                   else "No replies yet (`campaigner metrics collect` fetches them).")
        return
    for r in rows:
        zone = app.zone_for(r.timezone)
        head = (f"#{r.id}  {r.state:<9} {r.kind or '-':<8} {r.sentiment or '-':<8} "
                f"{format_local(r.created_at, zone)}  {_line(r.author, 40)} on {r.account} ({r.platform})")
        click.echo(head + ("  [urgent]" if r.urgent else ""))
        click.echo(f"    {_line(r.text, 200)}")
        answers = f"answering {_line(r.in_reply_to, 40)} under" if r.in_reply_to else "on"
        click.echo(f"    {_safe(r.url) or '(no address)'} — {answers} post {r.post_id}: {_line(r.post_text, 60)}")
    if wanted is not None and len(rows) == wanted:
        click.echo(f"(the first {wanted}: more with --limit N or --all)")


@replies.command("show")
@click.argument("reply_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, reply_id, as_json) -> None:
    """A reply in its conversation: our post, the replies above it, and our answers below it."""
    from campaigner.services import inbox
    from campaigner.times import format_local

    app = flags.app()
    c = inbox.show(app, reply_id)
    r = c.reply
    if as_json:
        echo_json({"reply": r.as_dict(), "post": {"id": r.post_id, "account": r.account, "platform": r.platform,
                                                  "text": c.post_text, "url": c.post_url,
                                                  "published_at": c.post_published_at},
                   "above": [a.as_dict() for a in c.above],
                   "answers": [vars(a) for a in c.answers],
                   "answers_seen": [a.as_dict() for a in c.seen_answers]})
        return
    zone = app.zone_for(r.timezone)
    published = f", published {format_local(c.post_published_at, zone)}" if c.post_published_at else ""
    click.echo(f"Post {r.post_id} on {r.account} ({r.platform}){published}: {_safe(c.post_url) or ''}".rstrip())
    for line in _safe(c.post_text).splitlines() or [""]:
        click.echo(f"  {line}")
    for a in c.above:
        click.echo(f"  #{a.id} {_line(a.author, 40)}{' (ours)' if a.ours else ''}, "
                   f"{format_local(a.created_at, zone)}: {_line(a.text, 120)}")
    state = r.state + (f" {format_local(r.state_at, zone)}" if r.state_at else "")
    click.echo(f"Reply #{r.id} by {_line(r.author, 60)}, {format_local(r.created_at, zone)} — {state}, "
               f"{r.kind or 'unclassified'}, {r.sentiment or 'no sentiment'}")
    if r.kind_reason:
        click.echo(f"  kind: {_safe(r.kind_reason)}")
    click.echo(f"  {_safe(r.url) or '(no address)'}")
    for line in _safe(r.text).splitlines() or [""]:
        click.echo(f"  > {line}")
    if not c.answers and not c.seen_answers:
        if r.state == "new":
            click.echo(f'No answer yet: campaigner replies answer {r.id} "…"  (or: campaigner replies dismiss {r.id})')
        return
    click.echo("Our answers:")
    for a in c.answers:
        when = (f"published {format_local(a.published_at, zone)}" if a.published_at
                else f"{a.status}, due {format_local(a.due_at, zone)}")
        click.echo(f"  post {a.post_id} on {a.account}: {when}" + (f" — {_safe(a.url)}" if a.url else "")
                   + (f" ({_line(a.error, 120)})" if a.error and a.status != "published" else ""))
        click.echo(f"    {_line(a.text, 200)}")
    for a in c.seen_answers:
        click.echo(f"  on {r.platform} itself, {format_local(a.created_at, zone)}"
                   + (f" — {_safe(a.url)}" if a.url else ""))
        click.echo(f"    {_line(a.text, 200)}")


@replies.command("answer")
@click.argument("reply_id", type=int)
@click.argument("text", required=False)
@click.option("--file", "file", metavar="F", help="Read the answer from a file ('-' for standard input).")
@click.pass_obj
def answer(flags, reply_id, text, file) -> None:
    """Answer reply REPLY_ID on its platform, threaded under it, from the account it replied to.

    The answer is checked like any post and goes out now through the publisher, exactly once; the
    reply is marked answered when it is published."""
    from campaigner.cli.posts import _read_text
    from campaigner.services import inbox
    from campaigner.times import format_local

    app = flags.app()
    q = inbox.answer(app, reply_id, _read_text(text, file))
    if q.draft:
        click.echo(f"Saved post {q.post_id} as a draft: the answer to reply {q.reply_id} on {q.account} "
                   f"({q.platform}, which requires approval). It goes out only once approved: "
                   f"campaigner post approve {q.post_id}")
        return
    click.echo(f"Queued post {q.post_id}: the answer to reply {q.reply_id} on {q.account} ({q.platform}), due "
               f"{format_local(q.due_at, app.settings.zone)}.")
    if q.account_paused:
        click.echo(f"{q.account} is paused: it goes out once the account is resumed "
                   f"(campaigner account resume {q.account}).")
    else:
        click.echo("`campaigner run` sends it within seconds (or run `campaigner publish`).")


@replies.command("dismiss")
@click.argument("reply_ids", type=int, nargs=-1, required=True)
@click.pass_obj
def dismiss(flags, reply_ids) -> None:
    """Dismiss new replies that need no answer (they leave the inbox's new replies)."""
    from campaigner.services import inbox

    done = inbox.dismiss(flags.app(), list(reply_ids))
    left = len(set(reply_ids)) - len(done)
    click.echo(f"Dismissed {len(done)} repl{'y' if len(done) == 1 else 'ies'}"
               + (f" ({left} dismissed already)" if left else "") + ".")


@replies.command("reopen")
@click.argument("reply_ids", type=int, nargs=-1, required=True)
@click.pass_obj
def reopen(flags, reply_ids) -> None:
    """Put dismissed replies back among the new ones."""
    from campaigner.services import inbox

    done = inbox.reopen(flags.app(), list(reply_ids))
    left = len(set(reply_ids)) - len(done)
    click.echo(f"Reopened {len(done)} repl{'y' if len(done) == 1 else 'ies'}"
               + (f" ({left} new already)" if left else "") + ".")
