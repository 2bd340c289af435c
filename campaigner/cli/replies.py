"""``campaigner replies …``: the inbox of strangers' replies — list, show, answer, dismiss, reopen;
and reclassify (their kinds judged again by this version of the classifier).

A reply's text, its author and every address come from strangers: they are shown through
``content.untrusted.for_display`` (no escape sequences, control characters or bidi overrides).
"""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, short
from campaigner.i18n import N_, Nn_, _, ngettext, number
from campaigner.status_words import status_word

#: a reply's state and kind, as shown in the inbox (--json keeps the English codes)
_WORDS = {"new": N_("new"), "answered": N_("answered"), "dismissed": N_("dismissed"), "question": N_("question"),
          "support": N_("support"), "oppose": N_("oppose"), "other": N_("other"),
          "positive": N_("positive"), "negative": N_("negative"), "neutral": N_("neutral")}


def _word(code: str | None) -> str:
    return _(_WORDS[code]) if code in _WORDS else (code or "-")


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
    from zoneinfo import ZoneInfo

    from campaigner.services import inbox
    from campaigner.times import format_local, parse_since

    if all_ and limit is not None:
        raise click.UsageError(_("give --limit N or --all, not both"))
    app = flags.app()
    moment = parse_since(since, app.settings.zone, app.now()) if since is not None else None
    wanted = None if all_ else (limit if limit is not None else inbox.DEFAULT_LIMIT)
    rows = inbox.list_replies(app, campaign=campaign, account=account, post=post_id, since=moment, state=state,
                              kind=kind, limit=wanted)
    if as_json:
        echo_json([r.as_dict() for r in rows])
        return
    if not rows:
        click.echo(_("No replies match.") if any(x is not None for x in (campaign, account, post_id, since, state, kind))
                   else _("No replies yet (`campaigner metrics collect` fetches them)."))
        return
    # columns as wide as their longest word in the language in use (9, 8 and 8 in English)
    wide = [max(len(_word(w)) for w in words) for words in (("new", "answered", "dismissed"),
                                                              ("question", "support", "oppose", "other"),
                                                              ("positive", "negative", "neutral"))]
    zones: dict[str | None, ZoneInfo] = {}  # the few accounts' zones, each looked up once
    for r in rows:
        zone = zones.get(r.timezone) or zones.setdefault(r.timezone, app.zone_for(r.timezone))
        head = (f"#{r.id}  {_word(r.state):<{wide[0]}} {_word(r.kind):<{wide[1]}} {_word(r.sentiment):<{wide[2]}} "
                f"{format_local(r.created_at, zone)}  "
                + _("{author} on {account} ({platform})").format(author=_line(r.author, 40), account=r.account,
                                                                platform=r.platform))
        click.echo(head + ("  " + _("[urgent]") if r.urgent else ""))
        click.echo(f"    {_line(r.text, 200)}")
        where = (_("{url} — answering {author} under post {post}: {text}") if r.in_reply_to
                 else _("{url} — on post {post}: {text}"))
        click.echo("    " + where.format(url=_safe(r.url) or _("(no address)"), author=_line(r.in_reply_to, 40),
                                         post=r.post_id, text=_line(r.post_text, 60)))
    if wanted is not None and len(rows) == wanted:
        click.echo(_("(the first {n}: more with --limit N or --all)").format(n=wanted))


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
    head = (_("Post {post} on {account} ({platform}), published {when}: {url}") if c.post_published_at
            else _("Post {post} on {account} ({platform}): {url}"))
    click.echo(head.format(post=r.post_id, account=r.account, platform=r.platform, url=_safe(c.post_url) or "",
                           when=format_local(c.post_published_at, zone) if c.post_published_at else "").rstrip())
    for line in _safe(c.post_text).splitlines() or [""]:
        click.echo(f"  {line}")
    for a in c.above:
        ours = " " + _("(ours)") if a.ours else ""
        click.echo(f"  #{a.id} {_line(a.author, 40)}{ours}, "
                   f"{format_local(a.created_at, zone)}: {_line(a.text, 120)}")
    state = _word(r.state) + (f" {format_local(r.state_at, zone)}" if r.state_at else "")
    click.echo(_("Reply #{id} by {author}, {when} — {state}, {kind}, {sentiment}").format(
        id=r.id, author=_line(r.author, 60), when=format_local(r.created_at, zone), state=state,
        kind=_word(r.kind) if r.kind else _("unclassified"),
        sentiment=_word(r.sentiment) if r.sentiment else _("no sentiment")))
    if r.kind_reason:
        click.echo("  " + _("kind: {reason}").format(reason=_safe(r.kind_reason)))
    no_address = _("(no address)")
    click.echo(f"  {_safe(r.url) or no_address}")
    for line in _safe(r.text).splitlines() or [""]:
        click.echo(f"  > {line}")
    if not c.answers and not c.seen_answers:
        if r.state == "new":
            click.echo(_('No answer yet: campaigner replies answer {id} "…"  (or: campaigner replies dismiss {id})')
                       .format(id=r.id))
        return
    click.echo(_("Our answers:"))
    for a in c.answers:
        when = (_("published {when}").format(when=format_local(a.published_at, zone)) if a.published_at
                else _("{status}, due {when}").format(status=status_word(a.status),
                                                      when=format_local(a.due_at, zone)))
        click.echo("  " + _("post {post} on {account}: {when}").format(post=a.post_id, account=a.account, when=when)
                   + (f" — {_safe(a.url)}" if a.url else "")
                   + (f" ({_line(a.error, 120)})" if a.error and a.status != "published" else ""))
        click.echo(f"    {_line(a.text, 200)}")
    for a in c.seen_answers:
        click.echo("  " + _("on {platform} itself, {when}").format(platform=r.platform,
                                                                   when=format_local(a.created_at, zone))
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
        click.echo(_("Saved post {post} as a draft: the answer to reply {reply} on {account} ({platform}, which "
                     "requires approval). It goes out only once approved: campaigner post approve {post}").format(
            post=q.post_id, reply=q.reply_id, account=q.account, platform=q.platform))
        return
    click.echo(_("Queued post {post}: the answer to reply {reply} on {account} ({platform}), due {when}.").format(
        post=q.post_id, reply=q.reply_id, account=q.account, platform=q.platform,
        when=format_local(q.due_at, app.settings.zone)))
    if q.account_paused:
        click.echo(_("{account} is paused: it goes out once the account is resumed "
                     "(campaigner account resume {account}).").format(account=q.account))
    else:
        click.echo(_("`campaigner run` sends it within seconds (or run `campaigner publish`)."))


@replies.command("dismiss")
@click.argument("reply_ids", type=int, nargs=-1, required=True)
@click.pass_obj
def dismiss(flags, reply_ids) -> None:
    """Dismiss new replies that need no answer (they leave the inbox's new replies)."""
    from campaigner.services import inbox

    _say_done(reply_ids, inbox.dismiss(flags.app(), list(reply_ids)),
              Nn_("Dismissed {n} reply.", "Dismissed {n} replies."),
              Nn_("Dismissed {n} reply ({left} dismissed already).",
                  "Dismissed {n} replies ({left} dismissed already)."))


@replies.command("reopen")
@click.argument("reply_ids", type=int, nargs=-1, required=True)
@click.pass_obj
def reopen(flags, reply_ids) -> None:
    """Put dismissed replies back among the new ones."""
    from campaigner.services import inbox

    _say_done(reply_ids, inbox.reopen(flags.app(), list(reply_ids)),
              Nn_("Reopened {n} reply.", "Reopened {n} replies."),
              Nn_("Reopened {n} reply ({left} new already).", "Reopened {n} replies ({left} new already)."))


@replies.command("reclassify")
@click.option("--campaign", metavar="SLUG", help="Only replies to this campaign's posts.")
@click.pass_obj
def reclassify(flags, campaign) -> None:
    """Judge again the kind of every stored reply that another version of the classifier judged
    (after an upgrade that changed it). Answered and dismissed replies stay so; the engine does the
    same a few thousand replies at a time, the newest first."""
    from campaigner.services.replies import reclassify as run

    done = run(flags.app(), campaign=campaign)
    if not done.done:
        click.echo(_("Every reply was judged by this version of the classifier: nothing to do."))
        return
    click.echo(ngettext("Judged {n} reply again: {changed} changed kind.",
                        "Judged {n} replies again: {changed} changed kind.", done.done)
               .format(n=number(done.done), changed=number(done.changed)))


def _say_done(reply_ids, done: list[int], all_changed: tuple[str, str], some_were: tuple[str, str]) -> None:
    """How many of ``reply_ids`` ``dismiss``/``reopen`` changed (``done``), and how many were so already."""
    left = len(set(reply_ids)) - len(done)
    click.echo(ngettext(*(some_were if left else all_changed), len(done)).format(n=len(done), left=left))
