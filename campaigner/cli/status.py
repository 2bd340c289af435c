"""``campaigner status`` and ``campaigner alerts …``: is the publisher healthy, what needs a person."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, quiet

LABEL = 13  # width of the "Key:" column


def _line(key: str, value: str) -> None:
    click.echo(f"{key + ':':{LABEL}} {value}")


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
    st = get_status(app, app.now())
    if as_json:
        echo_json(_status_dict(st, zone, smtp))
        return
    queue = f"{st.queued} queued, {st.due_now} due now"
    if st.due_blocked:
        queue += f" (and {st.due_blocked} on paused or held accounts)"
    if st.publishing:
        queue += f", {st.publishing} being published"
    _line("Queue", queue)
    nxt = st.next_due
    _line("Next due", f"{format_local(nxt.at, zone)} — post {nxt.post_id} on {nxt.account}" if nxt
          else "nothing waiting")
    _line("Last 24 h", f"{st.published_24h} published, {st.failed_24h} failed"
          + (f", {st.expired_24h} expired" if st.expired_24h else ""))
    _line("Unconfirmed", str(len(st.unconfirmed)) if st.unconfirmed else "none")
    for u in st.unconfirmed:
        when = ("a person must check it" if u.needs_person
                else f"the worker looks again at {format_local(u.next_check_at, zone)}")
        click.echo(f"  post {u.post_id} on {u.account} (delivery {u.delivery_id}): {when} — {u.why}")
    if st.processing:  # only when some are: the usual page stays as it was
        _line("Processing", f"{len(st.processing)} being prepared by the platform (nothing is out yet)")
        for p in st.processing:
            when = f"the worker looks again at {format_local(p.next_check_at, zone)}" if p.next_check_at else ""
            click.echo(f"  post {p.post_id} on {p.account} (delivery {p.delivery_id}): {when} — {p.why}")
    _line("Expired", f"{st.expired_total} in the last 7 days, not sent: too late" if st.expired_total else "none")
    for x in st.expired:
        click.echo(f"  post {x.post_id} on {x.account} (delivery {x.delivery_id}), its time was "
                   f"{format_local(x.intended_at, zone)} — to send it anyway: campaigner post retry {x.post_id} "
                   f"--account {x.account}")
    if st.expired_total > len(st.expired):
        click.echo(f"  … and {st.expired_total - len(st.expired)} more: campaigner post list --status expired")
    if st.drafts:
        _line("Drafts", f"{st.drafts} waiting for approval"
              + (f", {st.drafts_passed_total} whose time has passed: not sent" if st.drafts_passed_total else ""))
    for x in st.drafts_passed:
        click.echo(f"  post {x.post_id} on {x.account} (delivery {x.delivery_id}), its time was "
                   f"{format_local(x.due_at, zone)} — not sent until approved: campaigner post approve "
                   f"{x.post_id} [--at TIME | --now]")
    if st.drafts_passed_total > len(st.drafts_passed):
        click.echo(f"  … and {st.drafts_passed_total - len(st.drafts_passed)} more: campaigner post list "
                   "--status draft")
    _line("Paused", str(len(st.paused)) if st.paused else "none")
    for p in st.paused:
        click.echo(f"  {p.account}: {p.reason} — once fixed: campaigner account resume {p.account}")
    _line("Held", str(len(st.held)) if st.held else "none")
    for h in st.held:
        click.echo(f"  {h.account} until {format_local(h.until, zone)}: {h.reason}")
    _line("Tokens", f"{len(st.expiring)} expiring" if st.expiring else "none expiring")
    for t in st.expiring:
        when = "expired" if t.expires_at <= st.now else "expires"
        click.echo(f"  {t.account} {when} {format_local(t.expires_at, zone)} — renew it, then "
                   f"campaigner account set-secret {t.account} FIELD")
    _line("Workers", str(len(st.workers)) if st.workers else
          "none running (start `campaigner run`, or run `campaigner publish` from cron)")
    for w in st.workers:
        click.echo(f"  {w.name} last seen {format_local(w.last_seen_at, zone, seconds=True)}"
                   + (" — stale" if w.stale else ""))
    _line("Alerts", _alerts_line(st, smtp, st.alerts_chat))
    _line("Report", _report_line(st.weekly_report, zone, smtp))


def _alerts_line(st, smtp, chat) -> str:
    where = ([f"e-mailed to {', '.join(smtp.to)}"] if smtp else []) + ([f"sent to the Telegram chat {chat}"]
                                                                       if chat else [])
    if not where:
        line = (f"{st.alerts_pending} pending, not sent (no [smtp] table or [alerts] telegram_chat in the config file)"
                if st.alerts_pending else "none pending")
    else:
        line = (f"{st.alerts_pending} pending, {' and '.join(where)} with the next digest" if st.alerts_pending
                else "none pending")
    # sent but not acknowledged (without a channel every open alert is pending)
    return line + (f"; {st.alerts_open} open until acknowledged (`campaigner alerts ack ID…`)"
                   if st.alerts_open > st.alerts_pending else "")


def _report_line(rep, zone, smtp) -> str:
    from campaigner.times import format_local

    failed = (f"; the last try failed at {format_local(rep.failed_at, zone)} (the worker's log says why)"
              if rep.failed_at else "")
    if rep.written_at is None:
        return (f"{rep.week} not written yet (due {format_local(rep.due_at, zone)}: `campaigner run` writes it, "
                f"or run `campaigner report deliver`){failed}")
    line = f"{rep.week} written {format_local(rep.written_at, zone)} by {rep.written_by}"
    if smtp is None:
        return line
    return line + (", e-mailed" if rep.emailed_at else f", not e-mailed yet{failed}")


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
        click.echo("No open alerts.")
        return
    channels = svc.channels(app)
    click.echo(f"{len(items)} open alert{'s' if len(items) != 1 else ''} (times in {zone.key}):")
    click.echo()
    for a, line in zip(items, svc.alert_lines(items, zone)):
        sent = [what for what, at, channel in (("e-mailed", a.emailed_at, svc.EMAIL),
                                                ("sent to Telegram", a.telegram_at, svc.TELEGRAM))
                if at is not None and channel in channels]
        click.echo(for_display(line) + (f"  [{', '.join(sent) or 'not sent yet'}]" if channels else ""))
    advice = [svc.ADVICE[k] for k in sorted({a.kind for a in items}) if k in svc.ADVICE]
    click.echo()
    click.echo("What to do:")
    for line in advice:
        click.echo(f"- {line}")
    click.echo()
    click.echo(svc.ACK)


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
            click.echo(f"Raised {result.raised} alert{'s' if result.raised != 1 else ''} from the replies inbox.")
        smtp = app.settings.smtp
        if result.email:
            click.echo(f"E-mailed {result.email} alert{'s' if result.email != 1 else ''} to {', '.join(smtp.to)}.")
        if result.telegram:
            click.echo(f"Sent {result.telegram} alert{'s' if result.telegram != 1 else ''} to the Telegram chat "
                       f"{app.settings.alerts.telegram_chat}.")
        if not (result.email or result.telegram or errors):
            click.echo("No pending alerts.")
    if errors:
        raise errors[0]


@alerts.command("ack")
@click.argument("alert_ids", type=int, nargs=-1, required=True)
@click.pass_obj
def ack(flags, alert_ids) -> None:
    """Acknowledge alerts that were dealt with: they leave `alerts list` and are sent nowhere else."""
    from campaigner.services import alerts as svc

    done, already = svc.ack(flags.app(), list(alert_ids))
    click.echo(f"Acknowledged {len(done)} alert{'s' if len(done) != 1 else ''}"
               + (f" ({already} acknowledged already)" if already else "") + ".")
