"""``campaigner post …``: queue, inspect, change and bulk-load posts."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from campaigner.cli.output import Progress, echo_json, max_late_minutes, short, table
from campaigner.errors import InvalidInput
from campaigner.i18n import _, N_, ngettext, number
from campaigner.status_words import status_word
from campaigner.wording import plural

STATUSES = ["queued", "publishing", "published", "failed", "cancelled", "unconfirmed", "expired", "importing",
            "deleted", "draft", "rejected"]


def _split_names(values: tuple[str, ...]) -> list[str]:
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def _read_text(text: str | None, file: str | None) -> str:
    if text is not None and file is not None:
        raise click.UsageError(_("give the text or --file, not both"))
    if file is not None:
        return _read_stdin() if file == "-" else _read_file(file)
    if text is None:
        raise click.UsageError(_("no text: give it as an argument or with --file F"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 on the command line arrive as lone surrogates
        raise InvalidInput(_("the text is not UTF-8"), _("set your terminal to UTF-8, or give the text with --file F")) \
            from None
    return text


#: the most a post's text file (or standard input) may hold: far beyond any platform's limit (and a
#: long thread), small enough that /dev/zero or a video given by mistake is refused at once
MAX_TEXT_BYTES = 1_000_000


def _bounded(stream, file: str | None) -> bytes:
    """At most MAX_TEXT_BYTES from ``stream`` (the file ``file``, None: standard input); more is
    one clear error, read no further."""
    data = stream.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        what = (_("file {file} holds more than {n} bytes, too much for a post's text") if file is not None else
                _("standard input holds more than {n} bytes, too much for a post's text"))
        raise InvalidInput(what.format(file=file, n=number(MAX_TEXT_BYTES)),
                           _("give only the post's text, at most {mb} MB").format(mb=MAX_TEXT_BYTES // 1_000_000))
    return data


def _read_file(file: str) -> str:
    try:
        with open(file, "rb") as f:
            return _bounded(f, file).decode("utf-8")
    except FileNotFoundError:
        raise InvalidInput(_("file {file} does not exist").format(file=file), _("check the path given to --file")) \
            from None
    except IsADirectoryError:
        raise InvalidInput(_("{file} is a folder, not a file").format(file=file),
                           _("give --file the path of a text file")) from None
    except UnicodeDecodeError:
        raise InvalidInput(_("file {file} is not UTF-8 text").format(file=file), _("save it as UTF-8")) from None
    except OSError as exc:  # no permission, a device that fails…
        raise InvalidInput(_("cannot read file {file} ({reason})").format(file=file, reason=exc.strerror or exc),
                           _("check the file and its permissions")) from None


def _read_stdin() -> str:
    """Standard input as UTF-8, strictly (the text stream would smuggle bad bytes in as surrogates)."""
    try:
        return _bounded(sys.stdin.buffer, None).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(_("standard input is not UTF-8 text"),
                           _("convert it to UTF-8 first, e.g. with iconv -t UTF-8")) from None


def _variants(values: tuple[str, ...]) -> dict[str, str]:
    from campaigner.services.accounts import check_platform

    out = {}
    for v in values:
        platform, sep, text = v.partition("=")
        if not sep or not text.strip():
            raise click.UsageError(_("--variant {value!r} is not PLATFORM=TEXT").format(value=v))
        platform = check_platform(platform.strip())
        if platform in out:
            raise click.UsageError(_("two --variant texts for {platform}: give one text per platform")
                                   .format(platform=platform))
        out[platform] = text
    return out


def _no_variants(values: tuple[str, ...], variants: dict[str, str]) -> list[str]:
    from campaigner.services.accounts import check_platform

    platforms = list(dict.fromkeys(check_platform(v.strip()) for v in values))
    both = [p for p in platforms if p in variants]
    if both:
        raise click.UsageError(_("--variant {platform}=… and --no-variant {platform} contradict each other: give one")
                               .format(platform=both[0]))
    return platforms


def _media(media: tuple[str, ...], alt: tuple[str, ...]) -> list[Path]:
    """The --media paths, checked against their --alt texts (one per file, in order, at most)."""
    if alt and not media:
        raise click.UsageError(_("--alt describes the files of --media: give them too"))
    if len(alt) > len(media):
        raise click.UsageError(ngettext("{alts} --alt texts for {n} --media file: give at most one --alt per file, in "
                                        "the same order",
                                        "{alts} --alt texts for {n} --media files: give at most one --alt per file, in "
                                        "the same order", len(media)).format(alts=len(alt), n=len(media)))
    return [Path(m) for m in media]


def _seconds(late) -> int | None:
    return None if late is None else int(late.total_seconds())


def _delivery_dict(app, d) -> dict:
    zone = app.zone_for(d.account.timezone)
    from campaigner import lateness
    from campaigner.times import format_local

    default = app.settings.max_late_minutes
    minutes, whose = lateness.limit_minutes(d, d.account, default)
    deadline = lateness.deadline(d, d.account, default)
    return {"delivery_id": d.id, "account": d.account.name, "platform": d.account.platform,
            "status": d.status.value, "due_at": d.due_at, "due_local": format_local(d.due_at, zone),
            "intended_at": lateness.moment(d), "intended_local": format_local(lateness.moment(d), zone),
            "lateness_limit": {"expires_at": d.expires_at,
                               "max_late_minutes": None if d.expires_at is not None else minutes,
                               "from": "post" if d.expires_at is not None else whose,
                               "until": deadline, "until_local": deadline and format_local(deadline, zone)},
            "attempts": d.attempt_count, "next_attempt_at": d.next_attempt_at, "published_at": d.published_at,
            "published_local": d.published_at and format_local(d.published_at, zone),
            "late_seconds": _seconds(lateness.late_by(d)),
            "remote_id": d.remote_id, "remote_url": d.remote_url, "last_error": d.last_error,
            "parts": [{"position": p.position, "text": p.text, "remote_id": p.remote_id, "remote_url": p.remote_url}
                      for p in d.parts]}


def _post_dict(app, post) -> dict:
    from campaigner.times import format_local

    return {"id": post.id, "campaign": post.campaign.slug if post.campaign else None, "text": post.text,
            "thread": post.is_thread, "link": post.link, "variants": dict(post.variants),
            "media": [{"file": m.original_name, "type": m.mime_type, "bytes": m.size_bytes, "alt": m.alt_text,
                       "prepared": {platform: {"type": r["mime_type"], "bytes": r["size_bytes"], "width": r["width"],
                                               "height": r["height"], "notes": r["notes"]}
                                    for platform, r in (m.renditions or {}).items()}}
                      for m in post.media],
            "keep_metadata": post.keep_metadata,
            "source": post.source, "created_at": post.created_at,
            "approval": post.approval,
            "reviews": [{"action": r.action, "by": r.reviewer, "at": r.reviewed_at,
                         "at_local": format_local(r.reviewed_at, app.settings.zone), "reason": r.reason}
                        for r in post.reviews],
            "deliveries": [_delivery_dict(app, d) for d in post.deliveries]}


def _print_post(app, post, *, limits: bool = False) -> None:
    """The post's deliveries, one line each: a published one at the time it went out (and how
    late, when it was); with ``limits``, the lateness limit of those not out yet."""
    from campaigner import lateness

    head = [_("Post {id}").format(id=post.id)]
    if post.campaign:
        head.append(_("campaign {slug}").format(slug=post.campaign.slug))
    if post.is_thread:
        head.append(_("thread"))
    if post.approval in _APPROVAL_NOTE:
        head.append(_(_APPROVAL_NOTE[post.approval]))
    click.echo(" · ".join(head))
    for d in post.deliveries:
        info = _delivery_dict(app, d)
        when = info["due_local"]
        late = lateness.late_by(d)
        if d.published_at is not None:
            when = info["published_local"]
            if late is not None and late >= timedelta(minutes=1):
                when += " " + _("({late} late; its time was {time})").format(late=lateness.format_late(late),
                                                                                time=info["intended_local"])
        elif info["intended_at"] != d.due_at:
            when += " " + _("(moved from {time})").format(time=info["intended_local"])
        line = f"  {d.account.name:16} {status_word(info['status']):11} {when}"
        if d.remote_url:
            line += f"  {d.remote_url}"
        click.echo(line)
        if limits and d.status.value in ("queued", "failed", "expired", "draft"):
            limit = lateness.describe_limit(d, d.account, app.settings.max_late_minutes, app.zone_for(d.account.timezone))
            until = info["lateness_limit"]["until_local"]
            text = (_("lateness limit: {limit} (not sent after {time})") if until and d.expires_at is None
                    else _("lateness limit: {limit}"))
            click.echo(f"  {'':16} " + text.format(limit=limit, time=until))
        if d.last_error:
            click.echo(f"  {'':16} " + _("last error: {error}").format(error=d.last_error))
    for m in post.media:  # what was done to each photo, per platform (so nobody is surprised)
        for platform, r in sorted((m.renditions or {}).items()):
            click.echo("  " + _("{file} on {platform}: {notes} ({width}×{height}, {size} bytes)").format(
                file=m.original_name, platform=platform, notes=", ".join(r["notes"]) or _("prepared"),
                width=r["width"], height=r["height"], size=number(r['size_bytes'])))


#: what the first line of a post says about its approval
_APPROVAL_NOTE = {"pending": N_("draft: waiting for approval"), "approved": N_("approved"),
                  "rejected": N_("rejected")}


def _print_reviews(app, post) -> None:
    """Who approved or rejected the post, and when (and why)."""
    from campaigner.times import format_local

    for r in post.reviews:
        if r.reason:
            text = (_("approved by {who} at {time}: {reason}") if r.action == "approved" else
                    _("rejected by {who} at {time}: {reason}") if r.action == "rejected" else
                    "{action} by {who} at {time}: {reason}")
        else:
            text = (_("approved by {who} at {time}") if r.action == "approved" else
                    _("rejected by {who} at {time}") if r.action == "rejected" else "{action} by {who} at {time}")
        click.echo(text.format(action=r.action, who=r.reviewer, time=format_local(r.reviewed_at, app.settings.zone),
                               reason=r.reason))
    if post.approval == "pending":
        click.echo(_("waiting for approval: campaigner post approve {id} (or reject it: campaigner post reject "
                     "{id} --reason TEXT)").format(id=post.id))


@click.group()
def post() -> None:
    """Queue and manage posts."""


def when_options(f):
    f = click.option("--now", "now_", is_flag=True, help="Publish as soon as possible.")(f)
    f = click.option("--next-slot", is_flag=True, help="Each account's next free posting slot.")(f)
    f = click.option("--at", "at", metavar="TIME",
                     help='Local time in the account\'s zone: "2026-12-07 09:00", "07/12/2026 09.00" (day first), '
                          '"8 Des 2026 pukul 19.30", "senin 10:00", "besok 09:00", "+2h", ISO 8601; a zone label '
                          '(WIB, WITA, WIT) after the time reads it there.')(f)
    return f


def limit_options(f):
    f = click.option("--max-late", metavar="DURATION",
                     help="How late it may still go out after its time: 30m, 6h, 2d or none (default: the "
                          "account's limit, else the configured max_late, 6h). Later, it is not sent: it expires.")(f)
    f = click.option("--expires", metavar="TIME",
                     help="Not sent after this time (read like --at) — it expires instead.")(f)
    return f


@post.command("add")
@click.argument("text", required=False)
@click.option("--file", "file", metavar="F", help="Read the text from a file ('-' for standard input).")
@click.option("--to", "to", multiple=True, required=True, metavar="NAME[,NAME…]", help="Target account(s).")
@click.option("--campaign", metavar="SLUG", help="The campaign it belongs to.")
@when_options
@limit_options
@click.option("--link", metavar="URL", help="A link to add to the post.")
@click.option("--media", multiple=True, metavar="PATH", help="An image or video to attach (repeatable).")
@click.option("--alt", multiple=True, metavar="TEXT", help="Alt text for each --media, in order.")
@click.option("--variant", multiple=True, metavar="PLATFORM=TEXT", help="Other text for one platform.")
@click.option("--thread", is_flag=True, help="Text is a thread: parts separated by a line holding only ---.")
@click.option("--keep-metadata", is_flag=True,
              help="Send photos with their location and other metadata (stripped by default).")
@click.option("--draft", "as_draft", is_flag=True,
              help="Save it as a draft: it goes out only once approved (campaigner post approve ID).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def add(flags, text, file, to, campaign, at, next_slot, now_, expires, max_late, link, media, alt, variant, thread,
        keep_metadata, as_draft, as_json) -> None:
    """Queue a post on one or more accounts. Everything is checked before anything is written."""
    from campaigner.services import accounts as accounts_svc
    from campaigner.services import posts as svc
    from campaigner.services.planning import Draft, When

    app = flags.app()
    draft = Draft(text=_read_text(text, file), accounts=_split_names(to),
                  when=When.from_options(at, now_, next_slot), campaign=campaign, link=link,
                  media=_media(media, alt), alt_texts=list(alt), variants=_variants(variant), thread=thread,
                  expires=expires, max_late=max_late_minutes(max_late), keep_metadata=keep_metadata,
                  as_draft=as_draft)
    p = svc.add(app, draft)
    if as_json:
        echo_json(_post_dict(app, p))
    else:
        n = len(p.deliveries)
        if p.approval == "pending":
            needing = [d.account.name for d in p.deliveries if d.account.requires_approval]
            if needing and not as_draft:
                text = ngettext("Saved post {id} as a draft on {n} account ({names} requires approval): it goes out "
                                "only once approved (campaigner post approve {id}):",
                                "Saved post {id} as a draft on {n} accounts ({names} requires approval): it goes out "
                                "only once approved (campaigner post approve {id}):", n) if len(needing) == 1 else \
                    ngettext("Saved post {id} as a draft on {n} account ({names} require approval): it goes out "
                             "only once approved (campaigner post approve {id}):",
                             "Saved post {id} as a draft on {n} accounts ({names} require approval): it goes out "
                             "only once approved (campaigner post approve {id}):", n)
            else:
                text = ngettext("Saved post {id} as a draft on {n} account: it goes out only once approved "
                                "(campaigner post approve {id}):",
                                "Saved post {id} as a draft on {n} accounts: it goes out only once approved "
                                "(campaigner post approve {id}):", n)
            click.echo(text.format(id=p.id, n=n, names=", ".join(needing)))
        else:
            click.echo(ngettext("Queued post {id} on {n} account:", "Queued post {id} on {n} accounts:", n)
                       .format(id=p.id, n=n))
        _print_post(app, p)
    for d in p.deliveries:
        for field in accounts_svc.missing_secrets(app, d.account):
            err = accounts_svc.missing_secret_error(d.account, field)
            click.echo(_("Warning: {what}, so it cannot go out yet — {fix}").format(what=err.what, fix=err.fix),
                       err=True)
            break


@post.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only deliveries in this status.")
@click.option("--campaign", metavar="SLUG")
@click.option("--account", metavar="NAME")
@click.option("--limit", type=int, metavar="N", help="At most N lines.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(flags, status, campaign, account, limit, as_json) -> None:
    """List deliveries (one post on one account), by due time."""
    from campaigner.services.delivery_list import list_deliveries
    from campaigner.times import format_local

    app = flags.app()
    rows = list_deliveries(app, status=status, campaign=campaign, account=account, limit=limit)
    if as_json:
        echo_json([{"post_id": r.post_id, "delivery_id": r.delivery_id, "account": r.account,
                    "platform": r.platform, "status": r.status, "due_at": r.due_at,
                    "due_local": format_local(r.due_at, app.zone_for(r.timezone)), "published_at": r.published_at,
                    "remote_url": r.remote_url, "campaign": r.campaign, "text": r.text, "last_error": r.last_error,
                    "intended_at": r.intended_at, "late_seconds": _seconds(r.late_by)}
                   for r in rows])
        return
    if not rows:
        click.echo(_("No posts match.") if (status or campaign or account) else
                   _("No posts yet. Queue one with: campaigner post add TEXT --to NAME --at TIME"))
        return
    headers = [_("POST"), _("DELIVERY"), _("DUE"), _("ACCOUNT"), _("STATUS"), _("CAMPAIGN"), _("TEXT")]
    now = app.now()

    def line(r) -> list[str]:
        due = format_local(r.due_at, app.zone_for(r.timezone))
        if r.status == "draft" and r.due_at < now:
            due += " " + _("(passed)")
        return [str(r.post_id), str(r.delivery_id), due, r.account, status_word(r.status), r.campaign or "",
                short(r.text, 40)]

    sent = [r for r in rows if r.status != "draft"]
    drafts = [r for r in rows if r.status == "draft"]  # apart: none of them goes out before approval
    if sent:
        table([line(r) for r in sent], headers)
    if drafts:
        if sent:
            click.echo("")
        click.echo(_("Drafts, not sent until approved (campaigner post approve POST):"))
        table([line(r) for r in drafts], headers)


@post.command("show")
@click.argument("post_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, post_id, as_json) -> None:
    """Show a post: its text, and each delivery's status, parts and attempts."""
    from campaigner.services import posts as svc
    from campaigner.times import format_local

    app = flags.app()
    p = svc.show(app, post_id)
    if as_json:
        echo_json(_post_dict(app, p))
        return
    _print_post(app, p, limits=True)
    _print_reviews(app, p)
    click.echo("")
    click.echo(p.text)
    if p.link:
        click.echo(_("link: {link}").format(link=p.link))
    for m in p.media:
        media_line = (_("media: {file} ({type}, {size} bytes) alt: {alt}") if m.alt_text else
                      _("media: {file} ({type}, {size} bytes)"))
        click.echo(media_line.format(file=m.original_name, type=m.mime_type, size=number(m.size_bytes), alt=m.alt_text))
    for platform, text in p.variants.items():
        click.echo(_("variant for {platform}: {text}").format(platform=platform, text=short(text, 60)))
    _print_final_texts(p)
    attempts = [(d, a) for d in p.deliveries for a in d.attempts]
    if attempts:
        click.echo(_("attempts:"))
        for d, a in attempts:
            zone = app.zone_for(d.account.timezone)
            attempt = _("{time} {account} part {part}: {outcome} ({error})") if a.error else \
                _("{time} {account} part {part}: {outcome}")
            click.echo("  " + attempt.format(time=format_local(a.started_at, zone, seconds=True), account=d.account.name,
                                             part=a.part_position + 1, outcome=a.outcome or _("running"), error=a.error))


def _print_final_texts(post) -> None:
    """Each delivery's text exactly as it goes out (its variant, the campaign's hashtags, the
    link): deliveries with the same text are shown once, a thread part by part."""
    from content.untrusted import for_display

    by_text: dict[tuple[tuple[str, ...], bool], list[str]] = {}
    for d in post.deliveries:
        if d.parts:
            went = d.status.value in ("published", "deleted")
            by_text.setdefault((tuple(part.text for part in d.parts), went), []).append(d.account.name)
    for (texts, went), names in by_text.items():
        click.echo("")
        click.echo((_("as it went out on {accounts}:") if went else _("as it goes out on {accounts}:"))
                   .format(accounts=", ".join(names)))
        for i, text in enumerate(texts):
            lead = f"  {i + 1}/{len(texts)} " if len(texts) > 1 else "  "
            for j, line in enumerate(for_display(text).split("\n")):
                click.echo(((lead if j == 0 else " " * len(lead)) + line).rstrip())


@post.command("edit")
@click.argument("post_id", type=int)
@click.argument("text", required=False)
@click.option("--file", "file", metavar="F", help="Read the new text from a file.")
@click.option("--to", "to", multiple=True, metavar="NAME[,NAME…]",
              help="New target accounts (a dropped one is cancelled; an added one goes out with the others).")
@when_options
@click.option("--link", metavar="URL", help="New link ('' removes it).")
@click.option("--campaign", metavar="SLUG")
@click.option("--media", multiple=True, metavar="PATH", help="New attachments, replacing the old (repeatable).")
@click.option("--alt", multiple=True, metavar="TEXT", help="Alt text for each --media, in order.")
@click.option("--no-media", is_flag=True, help="Remove the attachments.")
@click.option("--variant", multiple=True, metavar="PLATFORM=TEXT", help="New text for one platform.")
@click.option("--no-variant", multiple=True, metavar="PLATFORM", help="Remove the variant for a platform.")
@click.option("--thread/--no-thread", default=None)
@limit_options
@click.pass_obj
def edit(flags, post_id, text, file, to, at, next_slot, now_, link, campaign, media, alt, no_media, variant,
         no_variant, thread, expires, max_late) -> None:
    """Change a post before anything of it has gone out. Every check runs again. A new time
    (--at, --now, --next-slot) queues an expired delivery again."""
    from campaigner.services import posts as svc
    from campaigner.services.planning import When

    new_text = _read_text(text, file) if (text is not None or file is not None) else None
    when = When.from_options(at, now_, next_slot) if (at is not None or now_ or next_slot) else None
    if media and no_media:
        raise click.UsageError(_("--media and --no-media contradict each other: give one"))
    paths = _media(media, alt)
    variants = _variants(variant)
    dropped = _no_variants(no_variant, variants)
    if (new_text is None and when is None and link is None and campaign is None and not variant and not no_variant
            and thread is None and not to and not media and not no_media and expires is None and max_late is None):
        raise click.UsageError(_("nothing to change: give new text, --to, --at, --link, --campaign, --media, "
                                 "--variant, --no-variant, --thread, --expires or --max-late"))
    limit = max_late_minutes(max_late)
    app = flags.app()
    p = svc.edit(app, post_id, text=new_text, when=when, link=link, campaign=campaign,
                 variants=variants or None, drop_variants=dropped, thread=thread,
                 accounts=_split_names(to) if to else None,
                 media=paths if media else [] if no_media else None, alt_texts=list(alt),
                 expires=expires, max_late=limit)
    if p.approval == "pending":
        click.echo(_("Updated post {id}, a draft: it goes out only once approved (campaigner post approve {id}):")
                   .format(id=p.id))
    else:
        click.echo(_("Updated post {id}:").format(id=p.id))
    _print_post(app, p)
    _note_unused_variants(p)


def _note_unused_variants(post) -> None:
    """Say which variants are kept without an account to use them (cancelled or dropped from --to)."""
    live = {d.account.platform for d in post.deliveries if d.status.value != "cancelled"}
    for platform in post.variants:
        if platform not in live:
            click.echo(_("Note: the variant for {platform} is kept but not used (no account on {platform} is left in "
                         "the post) — remove it with `campaigner post edit {id} --no-variant {platform}`")
                       .format(platform=platform, id=post.id), err=True)


@post.command("cancel")
@click.argument("post_id", type=int)
@click.option("--account", metavar="NAME", help="Only the delivery on this account.")
@click.pass_obj
def cancel(flags, post_id, account) -> None:
    """Cancel a post's deliveries that have not gone out."""
    from campaigner.services import posts as svc

    done = svc.cancel(flags.app(), post_id, account=account)
    click.echo(_("Cancelled post {id} on {accounts}.").format(id=post_id,
                                                              accounts=", ".join(d.account.name for d in done)))


@post.command("delete")
@click.argument("post_id", type=int)
@click.option("--account", metavar="NAME", help="Only on this account (or the accounts of this group).")
@click.option("--by-hand", "by_hand", is_flag=True,
              help="You deleted it on the platform yourself: record it (no platform is asked).")
@click.pass_obj
def delete(flags, post_id, account, by_hand) -> None:
    """Take a published post down: delete it on its platforms (every part of a thread).

    What has not gone out yet is cancelled. The history is kept; the post is shown as deleted and
    its metrics are no longer collected.
    """
    from campaigner.errors import CampaignerError
    from campaigner.services import deletion

    done = deletion.delete(flags.app(), post_id, account=account, done_by_hand=by_hand)
    errors: list[CampaignerError] = []
    for d in done:
        if d.result == "deleted":
            text = (ngettext("Deleted post {id} on {account} ({n} part).", "Deleted post {id} on {account} ({n} parts).",
                             d.parts) if d.of > 1 else _("Deleted post {id} on {account}."))
        elif d.result == "deleted by hand":
            text = (ngettext("Recorded post {id} on {account} as deleted by hand ({n} part).",
                             "Recorded post {id} on {account} as deleted by hand ({n} parts).", d.parts) if d.of > 1
                    else _("Recorded post {id} on {account} as deleted by hand."))
        elif d.result == "cancelled":
            text = _("Cancelled post {id} on {account} (it had not gone out).")
        elif d.result == "already deleted":
            text = _("Post {id} was already deleted on {account}.")
        else:
            text = ""
            if d.parts:
                text = _("Deleted {n} of {of} parts of post {id} on {account}; the rest is still there.")
            assert d.error is not None
            errors.append(d.error)
        if text:
            click.echo(text.format(id=d.post_id, account=d.account, n=number(d.parts), of=d.of))
    for e in errors:
        click.echo(_("Error: {message}").format(message=e), err=True)
    if errors:
        sys.exit(1)


@post.command("retry")
@click.argument("post_id", type=int)
@click.option("--account", metavar="NAME", help="Only the delivery on this account.")
@click.pass_obj
def retry(flags, post_id, account) -> None:
    """Put a post's failed or expired deliveries back in the queue: they go out with the next
    publishing pass, however late (you decided)."""
    from campaigner.services import posts as svc

    done = svc.retry(flags.app(), post_id, account=account)
    click.echo(_("Queued post {id} again on {accounts}.").format(id=post_id,
                                                                 accounts=", ".join(d.account.name for d in done)))


@post.command("approve")
@click.argument("post_ids", nargs=-1, type=int, required=True, metavar="ID…")
@click.option("--at", "at", metavar="TIME", help="A new time (read like post add --at), e.g. when its time has passed.")
@click.option("--now", "now_", is_flag=True, help="Send it now, however late (you decided).")
@click.pass_obj
def approve(flags, post_ids, at, now_) -> None:
    """Approve drafts: they are queued and go out at their time. A draft whose time has passed
    goes out with the next publishing pass while it is within its lateness limit; past it, give a
    new time (--at) or send it now anyway (--now). All the posts named are approved, or none."""
    from campaigner.services.approval import approve as approve_posts
    from campaigner.services.planning import When

    if at is not None and now_:
        raise click.UsageError(_("--at and --now contradict each other: give one"))
    when = When("at", at) if at is not None else When("now") if now_ else None
    for done in approve_posts(flags.app(), list(post_ids), when=when):
        times = ", ".join(_("{account} at {time}").format(account=name, time=local)
                          for name, local, _late in done.deliveries)
        click.echo(_("Approved post {id} (by {who}): it goes out on {times}.").format(id=done.post_id,
                                                                                      who=done.reviewer, times=times))
        passed = [f"{name} ({local})" for name, local, late in done.deliveries if late]
        if passed and when is None:
            click.echo("  " + _("its time has passed on {accounts}: it goes out with the next publishing pass.")
                       .format(accounts=", ".join(passed)))


@post.command("reject")
@click.argument("post_id", type=int)
@click.option("--reason", required=True, metavar="TEXT", help="Why (shown in post show to whoever wrote it).")
@click.pass_obj
def reject(flags, post_id, reason) -> None:
    """Refuse a draft, saying why: it is never sent. Editing it (campaigner post edit) makes it a
    draft again, waiting for approval."""
    from campaigner.services.approval import reject as reject_post

    p = reject_post(flags.app(), post_id, reason)
    r = p.reviews[-1]
    click.echo(_("Rejected post {id} (by {who}): {reason}").format(id=p.id, who=r.reviewer, reason=r.reason))


@post.command("reconcile")
@click.argument("post_id", type=int)
@click.option("--account", metavar="NAME", help="The account (needed when several deliveries are unconfirmed).")
@click.option("--found", metavar="URL_OR_ID", help="It IS on the platform: its address (or id) is recorded.")
@click.option("--resend", is_flag=True, help="It is NOT on the platform (you looked): send it again.")
@click.option("--check", "check_", is_flag=True, help="Ask the platform now whether it is there.")
@click.pass_obj
def reconcile(flags, post_id, account, found, resend, check_) -> None:
    """Settle a delivery whose outcome is unknown (status unconfirmed).

    Look at the account on the platform first. Then record what you saw with --found URL (the
    post is there) or --resend (it is not); --check asks the platform where it can be searched.
    """
    from campaigner.services import posts as svc
    from campaigner.times import format_local

    if sum((found is not None, resend, check_)) != 1:
        raise click.UsageError(_("give exactly one of --found URL_OR_ID, --resend or --check"))
    app = flags.app()
    if check_:
        r = svc.check_unconfirmed(app, post_id, account=account)
        if r.verdict == "cannot tell":
            click.echo(_("Cannot tell: {platform} cannot be searched — look at {account} yourself, then run "
                         "`campaigner post reconcile {id} --account {account} --found URL` or `--resend`.")
                       .format(platform=r.platform, account=r.account, id=r.post_id))
        elif r.verdict == "not found":
            click.echo(_("Not found: post {id} on {account} is not there (looked from {time}) — if you are sure, run "
                         "`campaigner post reconcile {id} --account {account} --resend`.")
                       .format(id=r.post_id, account=r.account, time=format_local(r.since, app.settings.zone)))
        else:
            click.echo(_("Found: post {id} on {account} is there ({where}); {settled}").format(
                id=r.post_id, account=r.account, where=r.remote_url or r.remote_id, settled=_settled(r)))
        return
    r = svc.resolve_unconfirmed(app, post_id, account=account, found=found, resend=resend)
    if found is not None:
        click.echo(_("Recorded post {id} on {account}: {settled}").format(id=r.post_id, account=r.account,
                                                                          settled=_settled(r)))
    else:
        click.echo(_("Queued post {id} on {account} again: it goes out with the next publishing pass.")
                   .format(id=r.post_id, account=r.account))


def _settled(r) -> str:
    if r.status == "published":
        return _("published.")
    left = r.parts - r.part
    return ngettext("part {part} of {parts} is published; the remaining {left} part go out with the next publishing "
                    "pass.",
                    "part {part} of {parts} is published; the remaining {left} parts go out with the next publishing "
                    "pass.", left).format(part=r.part, parts=r.parts, left=left)


@post.command("check")
@click.argument("text", required=False)
@click.option("--file", "file", metavar="F")
@click.option("--to", "to", multiple=True, metavar="NAME[,NAME…]", help="Check for these accounts (or groups).")
@click.option("--platform", "platforms", multiple=True, help="Check for a platform (no database needed).")
@click.option("--media", "has_media", is_flag=True, help="The post has media (Telegram captions: 1024).")
@click.option("--thread", is_flag=True, help="Text is a thread: parts separated by a line holding only ---; "
                                             "each part is counted.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def check(flags, text, file, to, platforms, has_media, thread, as_json) -> None:
    """Count TEXT as each platform does (count, limit and what to cut), and say what else the
    platform would refuse: too many hashtags or @mentions, no media where it needs some, a thread
    where it has none."""
    from content.length import check_length, unit_label
    from content.platforms import platform_record
    from content.tag_limits import tag_problems
    from content.threads import split_thread

    body = _read_text(text, file)
    targets: list[tuple[str, str, int | None]] = []
    if to:
        from campaigner import db
        from campaigner.services.groups import accounts_named

        app = flags.app()
        with db.read(app.engine) as s:
            for name in _split_names(to):
                for a in accounts_named(s, name):
                    targets.append((a.name, a.platform, a.char_limit))
    for p in platforms:
        from campaigner.services.accounts import check_platform

        targets.append((check_platform(p), check_platform(p), None))
    if not targets:
        raise click.UsageError(_("say what to check for: --to NAME or --platform P"))
    targets = list(dict.fromkeys(targets))
    try:
        parts = split_thread(body) if thread else [body]
    except ValueError as exc:  # content says what is wrong and how to fix it
        raise InvalidInput.from_message(str(exc)) from None
    results = []
    for name, platform, limit in targets:
        record = platform_record(platform)
        whole = []  # what the platform refuses of the post as a whole
        if thread and not record.threads:
            whole.append(_("{platform} has no threads — queue each part as its own post").format(platform=record.label))
        if record.media.required and not has_media:
            whole.append(_("{platform} needs a photo or video — add --media FILE to post add")
                         .format(platform=record.label))
        for i, part in enumerate(parts):  # the media go with the first part of a thread
            length = check_length(part, platform, limit=limit, has_media=has_media and i == 0)
            problems = (whole if i == 0 else []) + tag_problems(part, platform)
            results.append((name, platform, i, length, problems))
    if as_json:
        echo_json([{"target": n, "platform": p, "part": i + 1, "parts": len(parts), "count": r.count,
                    "limit": r.limit, "unit": r.unit, "ok": r.ok and not problems, "over": r.over,
                    "problems": problems} for n, p, i, r, problems in results])
    else:
        for name, platform, i, r, problems in results:
            verdict = _("fits") if r.ok else r.hint
            counted = (_("{name} ({platform}) part {part} of {parts}: {count}/{limit} {unit} — {verdict}") if thread
                       else _("{name} ({platform}): {count}/{limit} {unit} — {verdict}"))
            click.echo(counted.format(name=name, platform=platform, part=i + 1, parts=len(parts), count=r.count,
                                      limit=r.limit, unit=unit_label(r.unit), verdict=verdict))
            for problem in problems:
                click.echo(f"  {problem}")
        if not thread and _looks_like_thread(body):
            click.echo(_("Note: the text holds '---' lines; counted as one post — give --thread to count each part "
                         "of a thread."), err=True)
    if not all(r.ok and not problems for *_, r, problems in results):
        sys.exit(1)


def _looks_like_thread(text: str) -> bool:
    from content.threads import SEPARATOR

    return any(line.strip() == SEPARATOR for line in text.splitlines())


@post.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and show what each would become; write nothing.")
@click.option("--strict", is_flag=True,
              help="Refuse columns campaigner does not know, and times labelled with another zone than their "
                   "account's (by default the first are ignored, the second read as written).")
@click.option("--max-size", "max_mb", type=click.FloatRange(min=0, min_open=True), default=200, show_default=True,
              metavar="MB", help="Refuse a file larger than this.")
@click.pass_obj
def import_(flags, csv_file, dry_run, strict, max_mb) -> None:
    """Queue a content calendar from a CSV file (UTF-8, ',' or ';').

    Columns: date, time, accounts, text, link, campaign, media, max_late, status (Indonesian names
    work too: tanggal, jam, akun, teks, tautan, kampanye, batas_telat). Dates day first
    (07/12/2026, 8 Des 2026, Senin, 7 Desember 2026), times 09.00 or 19:30 WIB. A status of
    draft/rancangan makes a draft, batal/cancelled skips the row. If any row is bad, nothing is
    written.
    """
    from campaigner.services.calendar import import_csv

    app = flags.app()
    with Progress(_("Importing rows")) as bar:
        result = import_csv(app, csv_file, dry_run=dry_run, progress=bar, max_mb=max_mb, strict=strict,
                            preview=_preview_line if dry_run else None)
    if result.ignored:
        n = len(result.ignored)
        click.echo(ngettext("Note: {file}: column {columns} is not used by campaigner and was ignored (--strict "
                            "refuses such columns).",
                            "Note: {file}: columns {columns} are not used by campaigner and were ignored (--strict "
                            "refuses such columns).", n).format(file=csv_file.name, columns=", ".join(result.ignored)),
                   err=True)
    if result.errors:
        for e in result.errors:
            click.echo(_("Error: {file} {problem}").format(file=csv_file.name, problem=e), err=True)
        n = result.error_count
        if n > len(result.errors):
            more = n - len(result.errors)
            click.echo(ngettext("Error: {file}: {n} more problem not listed", "Error: {file}: {n} more problems not listed",
                                more).format(file=csv_file.name, n=number(more)), err=True)
        raise InvalidInput(ngettext("{n} bad row in {file}, nothing was imported",
                                    "{n} bad rows in {file}, nothing was imported", n)
                           .format(n=number(n), file=csv_file.name), _("fix the rows above and import again"))
    if result.other_zone_count:
        o, n = result.other_zones[0], result.other_zone_count
        click.echo(ngettext("Note: {file}: {n} row gives a time in another zone than its account's, read in the zone "
                            "written (e.g. line {line}: {written} is {local} on {account}); --strict refuses such rows.",
                            "Note: {file}: {n} rows give a time in another zone than their account's, read in the "
                            "zone written (e.g. line {line}: {written} is {local} on {account}); --strict refuses such "
                            "rows.", n).format(file=csv_file.name, n=n, line=o.line, written=o.written, local=o.local,
                                               account=o.account), err=True)
    posts, deliveries = plural(result.posts, "post"), plural(result.deliveries, "delivery")
    extras = []
    if result.drafts:
        extras.append(ngettext("{n} as a draft, sent only once approved (campaigner post approve ID)",
                               "{n} as drafts, sent only once approved (campaigner post approve ID)", result.drafts)
                      .format(n=result.drafts))
    if result.cancelled:
        extras.append(ngettext("{n} cancelled row skipped", "{n} cancelled rows skipped", result.cancelled)
                      .format(n=result.cancelled))
    if extras:
        line = (_("Would queue {posts} ({deliveries}) from {file}; {extras}.") if dry_run else
                _("Queued {posts} ({deliveries}) from {file}; {extras}."))
    else:
        line = (_("Would queue {posts} ({deliveries}) from {file}.") if dry_run else
                _("Queued {posts} ({deliveries}) from {file}."))
    click.echo(line.format(posts=posts, deliveries=deliveries, file=csv_file.name, extras="; ".join(extras)))


def _preview_line(r) -> None:
    """One row of a dry run: its line, when it goes out (local time with the zone, on the first
    account; on the others too when theirs differs), draft or ready, the accounts, first words."""
    first = r.times[0][1]
    names = ", ".join(name if when == first else f"{name} {when}" for name, when in r.times)
    state = _("draft") if r.draft else _("ready")
    click.echo(_("line {line} {time} {state}  {accounts} — {text}").format(
        line=f"{r.line:<6}", time=f"{first:<22}", state=f"{state:<5}", accounts=names, text=r.text))


@post.command("export")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--campaign", metavar="SLUG", help="Only this campaign's posts.")
@click.option("--dialect", type=click.Choice(("excel-id", "standard")),
              help="excel-id: ';' between cells and a byte-order mark, as Excel in Indonesian opens it; standard: "
                   "','. Default: excel-id when the language (lang) is Indonesian, else standard.")
@click.pass_obj
def export(flags, csv_file, campaign, dialect) -> None:
    """Write posts as a content-calendar CSV ('-' for standard output); re-importable."""
    from campaigner.files import is_stream
    from campaigner.services.calendar import export_csv, export_csv_file

    app = flags.app()
    if str(csv_file) == "-":
        done = export_csv(app, sys.stdout, campaign=campaign, dialect=dialect)
        sys.stdout.flush()  # before the note on stderr
    else:
        stream = is_stream(csv_file)
        done = export_csv_file(app, csv_file, campaign=campaign, dialect=dialect)
        click.echo(ngettext("Wrote {n} row to {file}.", "Wrote {n} rows to {file}.", done.rows)
                   .format(n=number(done.rows), file=csv_file), err=stream)
    if done.incomplete:
        click.echo(ngettext("Note: {n} post has per-platform variants or alt texts, which the calendar has no column "
                            "for: not in the file.",
                            "Note: {n} posts have per-platform variants or alt texts, which the calendar has no column "
                            "for: not in the file.", done.incomplete).format(n=done.incomplete), err=True)
    if done.repeated_hour:
        click.echo(ngettext("Note: {n} delivery falls in the second pass of an hour a clock change repeats; the file "
                            "cannot say so, and an import would take the first: check those times after importing.",
                            "Note: {n} deliveries fall in the second pass of an hour a clock change repeats; the file "
                            "cannot say so, and an import would take the first: check those times after importing.",
                            done.repeated_hour).format(n=done.repeated_hour), err=True)
