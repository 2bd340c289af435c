"""``campaigner status`` and ``campaigner alerts …``: is the publisher healthy, what needs a person."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, quiet
from campaigner.i18n import N_, _, english, ngettext, number

LABEL = 13  # width of the "Key:" column, at least
#: the keys of ``status``, translated when shown (the column is as wide as the longest)
KEYS = (N_("Queue"), N_("Next due"), N_("Last 24 h"), N_("Unconfirmed"), N_("Processing"), N_("Expired"),
        N_("Drafts"), N_("Paused"), N_("Held"), N_("Tokens"), N_("Workers"), N_("Alerts"), N_("Report"),
        N_("Listening"))


def _label_width() -> int:
    return max(LABEL, *(len(_(key)) + 2 for key in KEYS))


def _line(key: str, value: str, width: int = LABEL) -> None:
    click.echo(f"{key + ':':{width}} {value}")


def _status_dict(st, zone, smtp) -> dict:
    from campaigner.times import format_local

    def local(t, seconds=False):
        return format_local(t, zone, seconds=seconds) if t is not None else None

    nxt, rep = st.next_due, st.weekly_report
    return {
        "now": st.now, "timezone": zone.key,
        "queue": {"queued": st.queued, "due_now": st.due_now, "due_blocked": st.due_blocked,
                  "publishing": st.publishing,
                  "next_due": None if nxt is None else {"at": nxt.at, "local": local(nxt.at), "account": nxt.account,
                                                        "post_id": nxt.post_id, "delivery_id": nxt.delivery_id}},
        "last_24h": {"published": st.published_24h, "failed": st.failed_24h, "expired": st.expired_24h},
        "unconfirmed": [{"post_id": u.post_id, "delivery_id": u.delivery_id, "account": u.account, "why": u.why,
                         "needs_person": u.needs_person, "next_check_at": u.next_check_at,
                         "next_check_local": local(u.next_check_at)} for u in st.unconfirmed],
        "processing": [{"post_id": p.post_id, "delivery_id": p.delivery_id, "account": p.account, "why": p.why,
                        "next_check_at": p.next_check_at, "next_check_local": local(p.next_check_at)}
                       for p in st.processing],
        "expired": {"last_7_days": st.expired_total,
                    "latest": [{"post_id": x.post_id, "delivery_id": x.delivery_id, "account": x.account,
                                "intended_at": x.intended_at, "intended_local": local(x.intended_at),
                                "expired_at": x.expired_at} for x in st.expired]},
        "drafts": {"waiting": st.drafts, "time_passed": st.drafts_passed_total,
                   "passed": [{"post_id": x.post_id, "delivery_id": x.delivery_id, "account": x.account,
                               "due_at": x.due_at, "due_local": local(x.due_at)} for x in st.drafts_passed]},
        "paused_accounts": [{"account": p.account, "reason": p.reason} for p in st.paused],
        "held_accounts": [{"account": h.account, "until": h.until, "until_local": local(h.until),
                           "reason": h.reason} for h in st.held],
        "expiring_tokens": [{"account": t.account, "expires_at": t.expires_at, "expires_local": local(t.expires_at)}
                            for t in st.expiring],
        "workers": [{"name": w.name, "hostname": w.hostname, "pid": w.pid, "started_at": w.started_at,
                     "last_seen_at": w.last_seen_at, "last_seen_local": local(w.last_seen_at, True),
                     "stale": w.stale} for w in st.workers],
        "alerts": {"pending": st.alerts_pending, "open": st.alerts_open, "emailed": smtp is not None,
                   "email_to": list(smtp.to) if smtp else [], "telegram_chat": st.alerts_chat},
        "weekly_report": {"week": rep.week, "due_at": rep.due_at, "due_local": local(rep.due_at),
                          "written_at": rep.written_at, "written_local": local(rep.written_at),
                          "written_by": rep.written_by, "emailed_at": rep.emailed_at,
                          "failed_at": rep.failed_at, "failed_local": local(rep.failed_at)},
        "listening": {
            "campaigns": [{"campaign": c.slug, "platforms": [{"platform": p.platform, "last_counted_at": p.at,
                                                              "last_counted_local": local(p.at)} for p in c.platforms]}
                          for c in st.listening.campaigns],
            "failing": [{"platform": f.platform, "since": f.since, "since_local": local(f.since), "why": f.why,
                         "next_try_at": f.next_try_at, "next_try_local": local(f.next_try_at),
                         "refused": f.refused}
                        for f in st.listening.failing]},
    }


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def status(flags, as_json) -> None:
    """The publisher at a glance: queue, last 24 hours, what needs a person, workers, alerts, the
    weekly report.

    Times are in the configured zone. A worker not seen for 2 minutes is marked stale.
    """
    from campaigner.services.status import status as get_status
    from campaigner.times import format_local

    app = flags.app()
    zone, smtp = app.settings.zone, app.settings.smtp
    with english(as_json):  # --json stays English (the words status gives when a row has none)
        st = get_status(app, app.now())
    if as_json:
        echo_json(_status_dict(st, zone, smtp))
        return
    label = _label_width()
    queue = _("{queued} queued, {due} due now").format(queued=st.queued, due=st.due_now)
    if st.due_blocked:
        queue += " " + _("(and {n} on paused or held accounts)").format(n=st.due_blocked)
    if st.publishing:
        queue += ", " + _("{n} being published").format(n=st.publishing)
    _line(_("Queue"), queue, label)
    nxt = st.next_due
    _line(_("Next due"), _("{when} — post {id} on {account}").format(when=format_local(nxt.at, zone), id=nxt.post_id,
                                                                   account=nxt.account) if nxt
          else _("nothing waiting"), label)
    _line(_("Last 24 h"), (_("{published} published, {failed} failed, {expired} expired") if st.expired_24h else
                           _("{published} published, {failed} failed")).format(
        published=st.published_24h, failed=st.failed_24h, expired=st.expired_24h), label)
    _line(_("Unconfirmed"), str(len(st.unconfirmed)) if st.unconfirmed else _("none"), label)
    for u in st.unconfirmed:
        when = (_("a person must check it") if u.needs_person
                else _("the worker looks again at {when}").format(when=format_local(u.next_check_at, zone)))
        click.echo("  " + _("post {id} on {account} (delivery {delivery}): {when} — {why}").format(
            id=u.post_id, account=u.account, delivery=u.delivery_id, when=when, why=u.why))
    if st.processing:  # only when some are: the usual page stays as it was
        _line(_("Processing"), _("{n} being prepared by the platform (nothing is out yet)").format(
            n=len(st.processing)), label)
        for p in st.processing:
            when = (_("the worker looks again at {when}").format(when=format_local(p.next_check_at, zone))
                    if p.next_check_at else "")
            click.echo("  " + _("post {id} on {account} (delivery {delivery}): {when} — {why}").format(
                id=p.post_id, account=p.account, delivery=p.delivery_id, when=when, why=p.why))
    _line(_("Expired"), _("{n} in the last 7 days, not sent: too late").format(n=st.expired_total)
          if st.expired_total else _("none"), label)
    for x in st.expired:
        click.echo("  " + _("post {id} on {account} (delivery {delivery}), its time was {when} — to send it anyway: "
                            "campaigner post retry {id} --account {account}").format(
            id=x.post_id, account=x.account, delivery=x.delivery_id, when=format_local(x.intended_at, zone)))
    if st.expired_total > len(st.expired):
        click.echo("  " + _("… and {n} more: campaigner post list --status expired").format(
            n=st.expired_total - len(st.expired)))
    if st.drafts:
        _line(_("Drafts"), (_("{n} waiting for approval, {passed} whose time has passed: not sent")
                            if st.drafts_passed_total else _("{n} waiting for approval")).format(
            n=st.drafts, passed=st.drafts_passed_total), label)
    for x in st.drafts_passed:
        click.echo("  " + _("post {id} on {account} (delivery {delivery}), its time was {when} — not sent until "
                            "approved: campaigner post approve {id} [--at TIME | --now]").format(
            id=x.post_id, account=x.account, delivery=x.delivery_id, when=format_local(x.due_at, zone)))
    if st.drafts_passed_total > len(st.drafts_passed):
        click.echo("  " + _("… and {n} more: campaigner post list --status draft").format(
            n=st.drafts_passed_total - len(st.drafts_passed)))
    _line(_("Paused"), str(len(st.paused)) if st.paused else _("none"), label)
    for p in st.paused:
        click.echo("  " + _("{account}: {reason} — once fixed: campaigner account resume {account}").format(
            account=p.account, reason=p.reason))
    _line(_("Held"), str(len(st.held)) if st.held else _("none"), label)
    for h in st.held:
        click.echo("  " + _("{account} until {when}: {reason}").format(account=h.account,
                                                                      when=format_local(h.until, zone), reason=h.reason))
    _line(_("Tokens"), _("{n} expiring").format(n=len(st.expiring)) if st.expiring else _("none expiring"), label)
    for t in st.expiring:
        said = (_("{account} expired {when} — renew it, then campaigner account set-secret {account} FIELD")
                if t.expires_at <= st.now else
                _("{account} expires {when} — renew it, then campaigner account set-secret {account} FIELD"))
        click.echo("  " + said.format(account=t.account, when=format_local(t.expires_at, zone)))
    _line(_("Workers"), str(len(st.workers)) if st.workers else
          _("none running (start `campaigner run`, or run `campaigner publish` from cron)"), label)
    for w in st.workers:
        said = _("{name} last seen {when} — stale") if w.stale else _("{name} last seen {when}")
        click.echo("  " + said.format(name=w.name, when=format_local(w.last_seen_at, zone, seconds=True)))
    _line(_("Alerts"), _alerts_line(st, smtp, st.alerts_chat), label)
    _line(_("Report"), _report_line(st.weekly_report, zone, smtp), label)
    if st.listening.campaigns or st.listening.failing:  # only where hashtags are counted
        _listening_lines(st.listening, zone, label)


def _listening_lines(li, zone, label) -> None:
    from campaigner.services.listening_status import LOOKBACK_DAYS
    from campaigner.times import format_local
    from content.untrusted import for_display

    value = ngettext("{n} campaign with hashtags", "{n} campaigns with hashtags", len(li.campaigns)).format(
        n=number(len(li.campaigns)))
    if li.failing:
        value += "; " + _("counting fails on {platforms}").format(platforms=", ".join(f.platform for f in li.failing))
    _line(_("Listening"), value, label)
    for c in li.campaigns:
        if not c.platforms:
            click.echo("  " + _("{campaign}: not counted in the last {n} days — count now: campaigner listen collect "
                                "--campaign {campaign}").format(campaign=c.slug, n=number(LOOKBACK_DAYS)))
            continue
        counts = ", ".join(f"{p.platform} {format_local(p.at, zone)}" if p.at else
                           _("{platform} not in the last {n} days").format(platform=p.platform, n=number(LOOKBACK_DAYS))
                           for p in c.platforms)
        click.echo("  " + _("{campaign}: last counted {counts}").format(campaign=c.slug, counts=counts))
    for f in li.failing:
        if f.refused:  # waiting changes nothing: the credentials must be renewed first
            said = (_("{platform} fails since {since}: {why} — {renew}; the worker tries again at {when}")
                    if f.next_try_at else _("{platform} fails since {since}: {why} — {renew}"))
        else:
            said = (_("{platform} fails since {since}: {why} — the worker tries again at {when}; to try now: "
                      "campaigner listen collect --platform {platform}") if f.next_try_at else
                    _("{platform} fails since {since}: {why} — to try now: campaigner listen collect --platform "
                      "{platform}"))
        click.echo("  " + said.format(platform=f.platform, since=format_local(f.since, zone), why=for_display(f.why),
                                      when=format_local(f.next_try_at, zone) if f.next_try_at else "",
                                      renew=for_display(f.refused.advice()) if f.refused else ""))


def _alerts_line(st, smtp, chat) -> str:
    if smtp and chat:
        where = _("e-mailed to {to} and sent to the Telegram chat {chat}").format(to=", ".join(smtp.to), chat=chat)
    elif smtp:
        where = _("e-mailed to {to}").format(to=", ".join(smtp.to))
    elif chat:
        where = _("sent to the Telegram chat {chat}").format(chat=chat)
    else:
        where = ""
    if not st.alerts_pending:
        line = _("none pending")
    elif not where:
        line = _("{n} pending, not sent (no [smtp] table or [alerts] telegram_chat in the config file)").format(
            n=st.alerts_pending)
    else:
        line = _("{n} pending, {where} with the next digest").format(n=st.alerts_pending, where=where)
    # sent but not acknowledged (without a channel every open alert is pending)
    if st.alerts_open > st.alerts_pending:
        line += "; " + _("{n} open until acknowledged (`campaigner alerts ack ID…`)").format(n=st.alerts_open)
    return line


def _report_line(rep, zone, smtp) -> str:
    from campaigner.times import format_local

    failed = ("; " + _("the last try failed at {when} (the worker's log says why)").format(
        when=format_local(rep.failed_at, zone)) if rep.failed_at else "")
    if rep.written_at is None:
        return _("{week} not written yet (due {when}: `campaigner run` writes it, or run `campaigner report "
                 "deliver`)").format(week=rep.week, when=format_local(rep.due_at, zone)) + failed
    line = _("{week} written {when} by {who}").format(week=rep.week, when=format_local(rep.written_at, zone),
                                                      who=rep.written_by)
    if smtp is None:
        return line
    return line + (", " + _("e-mailed") if rep.emailed_at else ", " + _("not e-mailed yet") + failed)


@click.group()
def alerts() -> None:
    """Alerts raised by the publisher (failures, paused accounts, unconfirmed posts)."""


@alerts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(flags, as_json) -> None:
    """Open alerts (not acknowledged yet), oldest first, and where each was sent."""
    from campaigner.services import alerts as svc
    from campaigner.times import format_local
    from content.untrusted import for_display

    app = flags.app()
    items = svc.open_alerts(app)
    zone = app.settings.zone
    if as_json:
        echo_json([{"id": a.id, "created_at": a.created_at, "created_local": format_local(a.created_at, zone),
                    "kind": a.kind, "account": a.account, "post_id": a.post_id, "delivery_id": a.delivery_id,
                    "message": a.message, "emailed_at": a.emailed_at, "telegram_at": a.telegram_at} for a in items])
        return
    if not items:
        click.echo(_("No open alerts."))
        return
    channels = svc.channels(app)
    click.echo(ngettext("{n} open alert (times in {zone}):", "{n} open alerts (times in {zone}):", len(items)).format(
        n=len(items), zone=zone.key))
    click.echo()
    for a, line in zip(items, svc.alert_lines(items, zone)):
        sent = [what for what, at, channel in ((_("e-mailed"), a.emailed_at, svc.EMAIL),
                                                (_("sent to Telegram"), a.telegram_at, svc.TELEGRAM))
                if at is not None and channel in channels]
        click.echo(for_display(line) + (f"  [{', '.join(sent) or _('not sent yet')}]" if channels else ""))
    advice = [_(svc.ADVICE[k]) for k in sorted({a.kind for a in items}) if k in svc.ADVICE]
    click.echo()
    click.echo(_("What to do:"))
    for line in advice:
        click.echo(f"- {line}")
    click.echo()
    click.echo(_(svc.ACK))


@alerts.command("send")
@click.pass_obj
def send(flags) -> None:
    """Send every pending alert now, as one digest on each channel — e-mail ([smtp]) and a Telegram
    chat ([alerts] telegram_chat) — after raising the inbox's alerts (for cron; `campaigner run`
    does it by itself)."""
    import logging

    from campaigner.services import alerts as svc

    app = flags.app()
    if not svc.channels(app):
        raise svc.not_configured(app)
    result = svc.send(app, app.now())
    errors = result.errors or []
    for extra in errors[1:]:
        logging.getLogger(__name__).error("%s", extra)
    if not quiet():
        if result.raised:
            click.echo(ngettext("Raised {n} alert from the replies inbox.", "Raised {n} alerts from the replies inbox.",
                                result.raised).format(n=result.raised))
        smtp = app.settings.smtp
        if result.email:
            click.echo(ngettext("E-mailed {n} alert to {to}.", "E-mailed {n} alerts to {to}.", result.email).format(
                n=result.email, to=", ".join(smtp.to)))
        if result.telegram:
            click.echo(ngettext("Sent {n} alert to the Telegram chat {chat}.", "Sent {n} alerts to the Telegram chat "
                                "{chat}.", result.telegram).format(n=result.telegram,
                                                                   chat=app.settings.alerts.telegram_chat))
        if not (result.email or result.telegram or errors):
            click.echo(_("No pending alerts."))
    if errors:
        raise errors[0]


@alerts.command("ack")
@click.argument("alert_ids", type=int, nargs=-1, required=True)
@click.pass_obj
def ack(flags, alert_ids) -> None:
    """Acknowledge alerts that were dealt with: they leave `alerts list` and are sent nowhere else."""
    from campaigner.services import alerts as svc

    done, already = svc.ack(flags.app(), list(alert_ids))
    said = (ngettext("Acknowledged {n} alert ({already} acknowledged already).",
                     "Acknowledged {n} alerts ({already} acknowledged already).", len(done)) if already else
            ngettext("Acknowledged {n} alert.", "Acknowledged {n} alerts.", len(done)))
    click.echo(said.format(n=len(done), already=already))
