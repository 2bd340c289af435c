"""``campaigner publish``: one publishing pass (for cron)."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, quiet, short
from campaigner.i18n import _, number


def worker_name() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


LEASE_HELP = ("How long this worker's accounts and claims stay its own after its last heartbeat (it beats "
              "every third of that, even during a slow platform call); then another worker takes them over. "
              "On the same machine a worker whose process has ended loses them at once.")


@click.command()
@click.option("--dry-run", is_flag=True, help="List what would go out now; touch nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--lease-seconds", type=click.FloatRange(min=1), default=30, show_default=True, help=LEASE_HELP)
@click.pass_obj
def publish(flags, dry_run, as_json, lease_seconds) -> None:
    """Publish every delivery that is due now, then exit (exit code 1 if any failed for good)."""
    import sys

    app = flags.app()
    if dry_run:
        from campaigner.services.agenda import due_now

        items = due_now(app)
        if as_json:
            echo_json(items)
        elif not items:
            click.echo(_("Nothing is due."))
        else:
            for it in items:
                if it.too_late:
                    click.echo(_("would not publish #{id} on {account} (due {due}): past its lateness limit, it "
                                 "expires: {text}").format(id=it.post_id, account=it.account, due=it.local,
                                                           text=short(it.text, 50)))
                elif it.status == "unconfirmed":  # its outcome is unknown: looked for first, sent only if missing
                    click.echo(_("would look for #{id} on {account} (due {due}; outcome unknown), and publish it "
                                 "only if it is not there: {text}").format(id=it.post_id, account=it.account,
                                                                          due=it.local, text=short(it.text, 50)))
                else:
                    click.echo(_("would publish #{id} on {account} (due {due}): {text}").format(
                        id=it.post_id, account=it.account, due=it.local, text=short(it.text, 50)))
        return
    from datetime import timedelta

    from scheduler.engine import Engine
    from scheduler.heartbeat import Heartbeat

    engine = Engine(app, worker_name(), lease=timedelta(seconds=lease_seconds))
    with Heartbeat(engine):  # every holder beats: a slow call keeps its claims, a killed run loses them
        report = engine.publish_all_due()
    if as_json:
        echo_json({"published": report.published, "failed": report.failed, "retrying": report.retrying,
                   "deferred": report.deferred, "unconfirmed": report.unconfirmed, "held": report.held,
                   "expired": report.expired, "processing": report.processing, "recovered": report.recovered})
    elif not quiet() or report.failed or report.unconfirmed or report.held or report.expired:
        # "expired" and "processing" only when some did, so the usual line stays as scripts know it
        counts = {"published": len(report.published), "failed": len(report.failed), "retrying": len(report.retrying),
                  "deferred": len(report.deferred), "unconfirmed": len(report.unconfirmed), "held": len(report.held),
                  "expired": len(report.expired), "processing": len(report.processing)}
        if report.expired and report.processing:
            line = _("Published {published}, failed {failed}, retrying {retrying}, deferred {deferred}, unconfirmed "
                     "{unconfirmed}, held back {held}, expired {expired} (too late: see `campaigner post list --status "
                     "expired`), still being prepared by the platform {processing} (looked at again by the next "
                     "`campaigner publish`, or by `campaigner run`).")
        elif report.expired:
            line = _("Published {published}, failed {failed}, retrying {retrying}, deferred {deferred}, unconfirmed "
                     "{unconfirmed}, held back {held}, expired {expired} (too late: see `campaigner post list --status "
                     "expired`).")
        elif report.processing:
            line = _("Published {published}, failed {failed}, retrying {retrying}, deferred {deferred}, unconfirmed "
                     "{unconfirmed}, held back {held}, still being prepared by the platform {processing} (looked at "
                     "again by the next `campaigner publish`, or by `campaigner run`).")
        else:
            line = _("Published {published}, failed {failed}, retrying {retrying}, deferred {deferred}, unconfirmed "
                     "{unconfirmed}, held back {held}.")
        click.echo(line.format(**counts))
    if report.failed:
        sys.exit(1)


@click.command()
@click.option("--name", help="Worker name (default: host:pid).")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="Accounts published in parallel.")
@click.option("--lease-seconds", type=click.FloatRange(min=1), default=30, show_default=True, help=LEASE_HELP)
@click.option("--accounts-per-pass", type=click.IntRange(min=1),
              help="Accounts leased at once, one per thread (default: --concurrency, so several workers share "
                   "the accounts).")
@click.option("--tick", "tick_seconds", type=click.FloatRange(min=0.01), default=0.25, show_default=True,
              help="Seconds between checks for due work.")
@click.option("--alerts-every", type=click.FloatRange(min=0, min_open=True), metavar="MINUTES",
              help="Minutes between e-mailed alert digests (default: every_minutes of the config file's "
                   "[smtp] table, else 5; nothing is e-mailed without that table).")
@click.pass_obj
def run(flags, name, concurrency, lease_seconds, accounts_per_pass, tick_seconds, alerts_every) -> None:
    """Run the publishing worker until stopped (SIGTERM/SIGINT finish in-flight work first).

    Several workers may share one PostgreSQL database (or one SQLite file on one machine).
    """
    import logging

    from campaigner.errors import InvalidInput
    from scheduler.daemon import Daemon
    from scheduler.engine import Engine
    from scheduler.jobs import default_jobs

    if name is not None and not name.strip():
        raise InvalidInput(_("the worker name is empty"), _("give a name with --name, or leave it out for host:pid"))
    if name is not None and len(name) > 128:  # the workers table's limit (PostgreSQL enforces it)
        raise InvalidInput(_("the worker name is {n} characters long").format(n=number(len(name))),
                           _("give one of at most 128 with --name"))

    root = logging.getLogger()
    if root.level == logging.WARNING:  # the default: a worker logs one line per publish
        root.setLevel(logging.INFO)
    if root.level > logging.DEBUG:  # APScheduler reports every tick at INFO
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = flags.app()
    from datetime import timedelta

    engine = Engine(app, name or worker_name(), concurrency=concurrency, lease=timedelta(seconds=lease_seconds),
                    accounts_per_pass=accounts_per_pass or concurrency)
    jobs = default_jobs(app, engine.worker, alerts_every=alerts_every)
    Daemon(app, engine, tick=timedelta(seconds=tick_seconds), jobs=jobs).run()
