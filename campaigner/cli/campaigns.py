"""``campaigner campaign …``: campaigns, their hashtags and what they are against and for."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, table
from campaigner.i18n import N_, _, ngettext
from campaigner.status_words import status_word

KINDS = ("question", "support", "oppose", "other")


def _campaign_dict(c) -> dict:
    return {"slug": c.slug, "name": c.name, "issue": c.issue, "hashtags": list(c.hashtags),
            "compare_tags": list(c.compare_tags or []), "auto_hashtags": c.auto_hashtags, "start": c.start_date,
            "end": c.end_date, "against": list(c.targets_against or ()), "for": list(c.targets_for or ())}


@click.group()
def campaign() -> None:
    """Add, edit, list and show campaigns."""


_AGAINST_HELP = ('What the campaign is against, as people write it (repeatable), e.g. --against "Tapera" '
                 '--against "potongan upah": replies attacking it support the campaign.')
_FOR_HELP = 'What the campaign is for (repeatable), e.g. --for "upah layak".'


@campaign.command("add")
@click.argument("slug")
@click.option("--name", required=True, help='Full name, e.g. "Upah Layak 2027".')
@click.option("--hashtag", "hashtags", multiple=True, help="A hashtag of the campaign (repeatable).")
@click.option("--issue", help="The labour issue it is about.")
@click.option("--start", help="First day: 2026-12-07, 07/12/2026 or 7 Des 2026 (day first).")
@click.option("--end", help="Last day, written like --start.")
@click.option("--auto-hashtags/--no-auto-hashtags", default=True, show_default=True,
              help="Append the campaign's hashtags to its posts when they fit.")
@click.option("--against", "against", multiple=True, help=_AGAINST_HELP)
@click.option("--for", "for_", multiple=True, help=_FOR_HELP)
@click.pass_obj
def add(flags, slug, name, hashtags, issue, start, end, auto_hashtags, against, for_) -> None:
    """Add a campaign called SLUG."""
    from campaigner.services import campaigns as svc
    from campaigner.times import parse_date

    c = svc.add(flags.app(), slug, name, hashtags=list(hashtags), issue=issue,
                start=parse_date(start, "--start date") if start else None,
                end=parse_date(end, "--end date") if end else None, auto_hashtags=auto_hashtags,
                against=list(against), for_=list(for_))
    click.echo((_("Added campaign {slug} ({hashtags}).") if c.hashtags else _("Added campaign {slug}.")).format(
        slug=c.slug, hashtags=" ".join(c.hashtags)))


@campaign.command("edit")
@click.argument("slug")
@click.option("--name", help="A new full name.")
@click.option("--issue", help='The labour issue it is about ("" clears it).')
@click.option("--hashtag", "hashtags", multiple=True, help="Its hashtags (repeatable; replaces them all).")
@click.option("--no-hashtags", is_flag=True, help="Remove all its hashtags.")
@click.option("--start", help='First day: 2026-12-07, 07/12/2026 or 7 Des 2026 (day first; "" clears it).')
@click.option("--end", help='Last day, written like --start ("" clears it).')
@click.option("--auto-hashtags/--no-auto-hashtags", default=None,
              help="Append the campaign's hashtags to its posts when they fit.")
@click.option("--against", "against", multiple=True, help=_AGAINST_HELP + " Replaces what it was against.")
@click.option("--no-against", is_flag=True, help="It is against nothing in particular any more.")
@click.option("--for", "for_", multiple=True, help=_FOR_HELP + " Replaces what it was for.")
@click.option("--no-for", is_flag=True, help="It is for nothing in particular any more.")
@click.option("--compare-tag", "compare", multiple=True, metavar="TAG",
              help="Add a comparison tag its hashtags are measured against (share of voice; repeatable), e.g. "
                   "the other side's #TaperaUntukRakyat.")
@click.option("--no-compare-tag", "no_compare", multiple=True, metavar="TAG", help="Remove a comparison tag (repeatable).")
@click.pass_obj
def edit(flags, slug, name, issue, hashtags, no_hashtags, start, end, auto_hashtags, against, no_against, for_,
         no_for, compare, no_compare) -> None:
    """Change campaign SLUG (only what is given). When what it is against or for changes, its
    replies are classified again."""
    from campaigner.services import campaigns as svc
    from campaigner.times import parse_date

    for flag, values, no_flag, clear in (("--hashtag", hashtags, "--no-hashtags", no_hashtags),
                                         ("--against", against, "--no-against", no_against),
                                         ("--for", for_, "--no-for", no_for)):
        if values and clear:
            raise click.UsageError(_("{flag} and {no_flag} contradict each other").format(flag=flag, no_flag=no_flag))
    changes: dict = {}
    if name is not None:
        changes["name"] = name
    if issue is not None:
        changes["issue"] = issue.strip() or None
    if hashtags or no_hashtags:
        changes["hashtags"] = list(hashtags)
    for key, value in (("start", start), ("end", end)):
        if value is not None:
            changes[key] = parse_date(value, f"--{key} date") if value.strip() else None
    if auto_hashtags is not None:
        changes["auto_hashtags"] = auto_hashtags
    if against or no_against:
        changes["against"] = list(against)
    if for_ or no_for:
        changes["for_"] = list(for_)
    if compare or no_compare:
        changes["compare_add"], changes["compare_remove"] = list(compare), list(no_compare)
    if not changes:
        raise click.UsageError(_("nothing to change: give --name, --issue, --hashtag, --start, --end, "
                                 "--against, --for or --compare-tag"))
    edited = svc.edit(flags.app(), slug, **changes)
    click.echo(_("Updated campaign {slug}.").format(slug=slug) + (
        " " + ngettext("Its {n} reply were classified again toward its new targets ({changed} changed kind).",
                       "Its {n} replies were classified again toward its new targets ({changed} changed kind).",
                       edited.reclassified).format(n=edited.reclassified, changed=edited.changed_kind)
        if edited.reclassified else "") + (
        " " + _("Comparison tags: {tags}.").format(tags=" ".join(edited.campaign.compare_tags) or _("none"))
        if compare or no_compare else ""))


def _targets_line(c) -> str:
    parts = [_("against {targets}").format(targets=", ".join(c.targets_against)) if c.targets_against else "",
             _("for {targets}").format(targets=", ".join(c.targets_for)) if c.targets_for else ""]
    return "; ".join(p for p in parts if p)


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(flags, as_json) -> None:
    """List campaigns."""
    from campaigner.services import campaigns as svc

    rows = svc.list_all(flags.app())
    if as_json:
        echo_json([{**_campaign_dict(c), "posts": n} for c, n in rows])
        return
    if not rows:
        click.echo(_('No campaigns yet. Add one with: campaigner campaign add SLUG --name "…"'))
        return
    table([[c.slug, c.name, " ".join(c.hashtags), str(n), f"{c.start_date or ''}..{c.end_date or ''}".strip("."),
            _targets_line(c)]
           for c, n in rows], [_("SLUG"), _("NAME"), _("HASHTAGS"), _("POSTS"), _("DATES"), _("TARGETS")])


@campaign.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, slug, as_json) -> None:
    """Show a campaign, its deliveries by status and its replies by kind."""
    from campaigner.services import campaigns as svc

    c, counts, kinds = svc.show(flags.app(), slug)
    if as_json:
        echo_json({**_campaign_dict(c), "deliveries": counts, "replies": kinds})
        return
    width = max(15, *(len(_(label)) + 1 for label in [*_SHOW_LABELS.values(), _DELIVERIES, _REPLIES]))
    for key, value in _campaign_dict(c).items():
        if value not in (None, [], ""):
            shown = (", ".join(value) if key in ("against", "for") else " ".join(value) if isinstance(value, list)
                     else (_("True") if value else _("False")) if isinstance(value, bool) else value)
            click.echo(f"{_(_SHOW_LABELS[key]):{width}} {shown}")
    click.echo(f"{_(_DELIVERIES):{width}} " + (", ".join(f"{v} {status_word(k)}" for k, v in sorted(counts.items()))
                                            or _("none")))
    order = [*KINDS, "unclassified"]
    click.echo(f"{_(_REPLIES):{width}} " + (", ".join(f"{kinds[k]} {_(_KIND_WORDS[k])}" for k in order if kinds.get(k))
                                         or _("none")))


#: the labels of ``campaign show`` (the keys of its --json output, which stay English)
_SHOW_LABELS = {"slug": N_("slug:"), "name": N_("name:"), "issue": N_("issue:"), "hashtags": N_("hashtags:"),
                "compare_tags": N_("compare_tags:"), "auto_hashtags": N_("auto_hashtags:"), "start": N_("start:"),
                "end": N_("end:"), "against": N_("against:"), "for": N_("for:")}
_DELIVERIES, _REPLIES = N_("deliveries:"), N_("replies:")
#: a reply's kind, as counted in ``campaign show``
_KIND_WORDS = {"question": N_("question"), "support": N_("support"), "oppose": N_("oppose"), "other": N_("other"),
               "unclassified": N_("unclassified")}
