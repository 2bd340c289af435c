"""The ``campaigner`` root command.

Start-up stays fast: this module imports only click and the standard library, and every
command imports what it needs inside its body (``--help`` loads no SQLAlchemy, Alembic, tweepy,
TextBlob or plotting library).
"""
from __future__ import annotations

import importlib
import os
import sys

import click

from campaigner import __version__
from campaigner.cli.localize import localize
from campaigner.errors import CampaignerError, environment_error
from campaigner.i18n import UnknownLanguage, _, config_lang, config_path, detect, restore_environment, use

#: command name → "module:attribute", imported only when the command runs (or its help is shown)
COMMANDS = {
    "init": "campaigner.cli.setup:init",
    "demo": "campaigner.cli.demo:demo",
    "account": "campaigner.cli.accounts:account",
    "campaign": "campaigner.cli.campaigns:campaign",
    "group": "campaigner.cli.groups:group",
    "post": "campaigner.cli.posts:post",
    "slots": "campaigner.cli.slots:slots",
    "queue": "campaigner.cli.queue:queue",
    "config": "campaigner.cli.setup:config",
    "publish": "campaigner.cli.engine:publish",
    "run": "campaigner.cli.engine:run",
    "metrics": "campaigner.cli.metrics:metrics",
    "status": "campaigner.cli.status:status",
    "alerts": "campaigner.cli.status:alerts",
    "report": "campaigner.cli.report:report",
    "replies": "campaigner.cli.replies:replies",
    "media": "campaigner.cli.media:media",
    "listen": "campaigner.cli.listening:listen",
    "warm": "campaigner.cli.warm:warm",
}


#: command name → the first paragraph of its help: what ``campaigner --help`` lists, so listing the
#: commands imports none of their modules. tests/core/test_startup.py checks each against the
#: command itself (and the whole --help against the one the real commands give).
SUMMARIES = {
    "account": "Add, list, show, test and remove accounts.",
    "alerts": "Alerts raised by the publisher (failures, paused accounts, unconfirmed posts).",
    "campaign": "Add, edit, list and show campaigns.",
    "config": "Show the settings in force and where each comes from.",
    "demo": "Run the main job end to end on a fresh SQLite database with sandbox accounts.",
    "group": "Name several accounts at once: a group works wherever account names do.",
    "init": "Create the database or bring it up to date (safe to run again).",
    "listen": "Count the public posts carrying each campaign's hashtags (share of voice).",
    "media": "Check the public place Instagram and Threads fetch media from.",
    "metrics": "Collect and show engagement snapshots.",
    "post": "Queue and manage posts.",
    "publish": "Publish every delivery that is due now, then exit (exit code 1 if any failed for good).",
    "queue": "Upcoming deliveries grouped by local day (overdue ones first).",
    "replies": "The inbox: replies to the accounts' posts, most urgent first; answer or dismiss them.",
    "report": "Reports: what went out, and what worked.",
    "run": "Run the publishing worker until stopped (SIGTERM/SIGINT finish in-flight work first).",
    "slots": "Set and show weekly posting slots (in each account's zone).",
    "warm": "Keep a warm server that makes everyday commands start fast (opt-in).",
    "status": ("The publisher at a glance: queue, last 24 hours, what needs a person, workers, alerts, the "
               "weekly report."),
}


class LazyGroup(click.Group):
    """A group whose sub-commands live in their own modules and load on demand; its own --help
    lists them from ``summaries`` without loading them."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, summaries: dict[str, str] | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}
        self.summaries = summaries or {}
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attr = self.lazy[name].split(":")
            if self._listing and name in self.summaries and module not in sys.modules:
                # a stand-in that click shortens to the same line as the real command
                return click.Command(name, help=_(self.summaries[name]))
            return localize(getattr(importlib.import_module(module), attr))
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False


class Flags:
    """The root options, turned into an ``App`` only when a command needs the database."""

    def __init__(self, db: str | None, config: str | None, timezone: str | None, now=None):
        self.db, self.config, self.timezone, self.now = db, config, timezone, now
        self._app = None

    def app(self):
        if self._app is None:
            from campaigner.app import App
            from campaigner.config import resolve

            settings = resolve({"database_url": self.db, "timezone": self.timezone}, config_path=self.config)
            # a database the user named must exist (only `init` creates one); the default one is
            # created on first use
            create = settings.sources.get("database_url") == "default"
            self._app = (App(settings, now=self.now, create_database=create) if self.now
                         else App(settings, create_database=create))
        return self._app

    def settings(self):
        return self.app().settings


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``, in the language in use (click's own option fixes its words at import)."""
    if value and not ctx.resilient_parsing:
        click.echo(_("%(prog)s, version %(version)s") % {"prog": "campaigner", "version": __version__})
        ctx.exit()


@click.group(cls=LazyGroup, lazy=COMMANDS, summaries=SUMMARIES, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="URL", help="Database URL or SQLite file (default: campaigner.db in the data folder; "
                                          "env CAMPAIGNER_DATABASE_URL).")
@click.option("--config", "config", metavar="PATH", help="Config file (env CAMPAIGNER_CONFIG).")
@click.option("--timezone", metavar="ZONE", help="Default time zone, e.g. Asia/Jakarta (env CAMPAIGNER_TIMEZONE).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True,
              help="Only errors: no log lines below ERROR, and publish, metrics collect, alerts send and report "
                   "deliver print only what needs a person.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: str | None, timezone: str | None, verbose: int,
        quiet: bool) -> None:
    """Schedule, publish and measure a union's social media campaigns.

    Times are read and shown in each account's zone (default Asia/Jakarta) and stored in UTC.
    Secrets come from CAMPAIGNER_SECRET_<ACCOUNT>_<FIELD> variables or the secrets file,
    never from flags.
    """
    import logging  # here, not at the top: --help never needs it

    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = Flags(db, config, timezone, now=ctx.obj)  # ctx.obj: a clock passed in by main()
    ctx.call_on_close(lambda: ctx.obj._app and ctx.obj._app.close())


def fail(message: str, code: int) -> None:
    click.echo(_("Error: {message}").format(message=message), err=True)
    sys.exit(code)


#: root options that take a value (the ones before the command name)
_VALUED = ("--db", "--config", "--timezone")


def given_config(args: list[str]) -> str | None:
    """The ``--config PATH`` among the root options of ``args`` (before the command name)."""
    it = iter(args)
    for arg in it:
        if arg == "--":
            break
        if arg.startswith("--config="):
            return arg.partition("=")[2]
        if arg in _VALUED:
            value = next(it, None)
            if arg == "--config":
                return value
        elif not arg.startswith("-"):
            break
    return None


def choose_language(args: list[str]) -> None:
    """Speak the language asked for before anything is shown (help, usage errors): CAMPAIGNER_LANG,
    else the config file's ``lang`` (only that key, read cheaply; a broken file is passed over here
    and reported when a command reads the settings), else the locale, else English."""
    env = os.environ
    try:
        configured = None if env.get("CAMPAIGNER_LANG", "").strip() else config_lang(config_path(env, given_config(args)))
        use(detect(env, configured))
    except UnknownLanguage as exc:
        use(detect({k: v for k, v in env.items() if k != "CAMPAIGNER_LANG"},
                   config_lang(config_path(env, given_config(args)))))
        fail(_("unknown language {value!r} (CAMPAIGNER_LANG) — use \"en\" (English) or \"id\" (Bahasa Indonesia)")
             .format(value=exc.value), 1)


def main(argv: list[str] | None = None, *, now=None) -> None:
    """Entry point: every error becomes one line ``Error: what — how to fix it``, no traceback.

    ``now`` is a clock (a function returning an aware UTC datetime) for tests; default the system's.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        _run(args, now)
    finally:
        restore_environment()  # the LANGUAGE that click's lookups needed goes back to the user's


def _run(args: list[str], now) -> None:
    choose_language(args)
    localize(cli)
    try:
        cli.main(args=args, prog_name="campaigner", standalone_mode=False, obj=now)
    except CampaignerError as exc:
        fail(str(exc), exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(2)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "campaigner"
        fail(_("{problem} — see `{command} --help`").format(problem=exc.format_message(), command=where), 2)
    except click.Abort:
        fail(_("aborted"), 1)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except KeyboardInterrupt:
        fail(_("interrupted"), 130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: say so in one line; show the traceback only when asked
        if "sqlalchemy" in sys.modules:  # a lock timeout outside ``db.write`` is no bug either
            from campaigner.db import busy_error, is_busy

            if is_busy(exc):
                fail(str(busy_error()), 1)
        if os.environ.get("CAMPAIGNER_DEBUG"):
            raise
        problem = environment_error(exc)  # a full disk is no bug: say what to do
        if problem is not None:
            fail(str(problem), problem.exit_code)
        fail(_("unexpected {kind}: {detail} — this is a bug; run again with CAMPAIGNER_DEBUG=1 for details and "
               "report it").format(kind=type(exc).__name__, detail=str(exc).splitlines()[0] if str(exc) else ""), 1)
    sys.exit(0)
