"""``campaigner media``: the public place Meta fetches media from."""
from __future__ import annotations

import click

from campaigner.i18n import _


@click.group()
def media() -> None:
    """Check the public place Instagram and Threads fetch media from."""


@media.command()
@click.option("--timeout", type=click.FloatRange(min=0.1, max=120), default=10.0, show_default=True,
              help="Seconds the fetch back may take.")
@click.pass_obj
def check(flags, timeout: float) -> None:
    """Put a probe image in the [media] place, fetch it back from public_url as Meta would (no
    redirects, image/jpeg, the same bytes), and remove it."""
    from functools import partial

    from campaigner.media_host import MediaHost, fetch_public

    host = MediaHost.open(flags.app())
    click.echo(_("OK — {result}").format(result=host.probe(fetch=partial(fetch_public, deadline=timeout))))
