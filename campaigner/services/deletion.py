"""Taking a post down again (``post delete``): each part that went out is deleted on its
platform through the connector's ``delete``, the delivery becomes ``deleted`` (its history kept,
its metrics no longer polled).

Everything is checked first, and nothing is changed while one delivery cannot be dealt with (one
being published right now, or whose outcome is unknown). What has not gone out is cancelled, so
it never goes out later. Then each part is deleted, the last part first (what is left is always
the start of the thread), each call recorded as an attempt of kind ``delete``: written before the
call, settled after it. A part whose delete was answered is never asked again; one whose answer
was lost (or whose process died) is deleted again by the next ``post delete``, which is safe: every
platform's delete counts a post already gone as deleted. A refusal (a platform without delete,
Telegram after 48 hours, credentials, a rate limit, the network) leaves the delivery published,
with one line saying what happened and what to do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from campaigner import db, states
from campaigner.app import App
from campaigner.errors import CampaignerError, InvalidInput
from campaigner.i18n import _, ngettext
from campaigner.status_words import status_word
from campaigner.models import Attempt, AttemptOutcome as O, Delivery, DeliveryPart
from campaigner.models import DeliveryStatus as S
from campaigner.services.posts import by_hand, deliveries_on, get, not_importing
from campaigner.times import format_local
from connectors.base import AccountConfig

#: delete outcomes after which the part is gone from the platform
GONE = frozenset({O.DELETED, O.DELETED_BY_HAND})


@dataclass
class Done:
    """What ``delete`` did to one delivery."""

    post_id: int
    delivery_id: int
    account: str
    platform: str
    #: "deleted", "deleted by hand", "cancelled" (it had not gone out), "already deleted", or
    #: "failed" (``error`` says why; the delivery is as it was)
    result: str
    #: the parts deleted now (a thread's), and how many it has
    parts: int = 0
    of: int = 1
    error: CampaignerError | None = None


@dataclass
class _Job:
    delivery_id: int
    account: str
    platform: str
    url: str | None
    #: (position, remote id) of the parts still on the platform, the last first
    parts: list[tuple[int, str]] = field(default_factory=list)
    of: int = 1


def _gone(d: Delivery, part: DeliveryPart) -> bool:
    """Whether ``part`` was deleted already (its last delete attempt says so)."""
    deletes = [a for a in d.attempts if a.kind == "delete" and a.part_position == part.position]
    return bool(deletes) and deletes[-1].outcome in GONE


def _out(d: Delivery) -> list[DeliveryPart]:
    """The parts of ``d`` still on the platform as far as campaigner knows."""
    return [p for p in d.parts if p.remote_id is not None and not _gone(d, p)]


def _check(post_id: int, chosen: list[Delivery], account: str | None, done_by_hand: bool) -> None:
    """Refuse, before anything changes, what cannot be taken down now."""
    for d in chosen:
        if d.status == S.PUBLISHING:
            raise InvalidInput(_("post {id} is being published on {account} right now")
                               .format(id=post_id, account=d.account.name),
                               _("wait a moment, then run the command again (see `campaigner post show {id}`)")
                               .format(id=post_id))
        if d.status == S.UNCONFIRMED:
            raise InvalidInput(_("post {id} is unconfirmed on {account}: it may or may not be out")
                               .format(id=post_id, account=d.account.name),
                               _("settle it first (campaigner post reconcile {id} --account {account} --check), then "
                                 "delete it").format(id=post_id, account=d.account.name))
    out = [d for d in chosen if _out(d)]
    if not out:
        if all(d.status == S.DELETED for d in chosen):
            raise InvalidInput(_("post {id} is already deleted on {accounts}")
                               .format(id=post_id, accounts=", ".join(d.account.name for d in chosen)),
                               _("nothing left to delete; see `campaigner post show {id}`").format(id=post_id))
        said = ", ".join(f"{d.account.name}: {status_word(d.status.value)}" for d in chosen)
        waiting = any(states.can_move(S(d.status), S.CANCELLED) for d in chosen)
        cancel = f"campaigner post cancel {post_id}" + (f" --account {account}" if account else "")
        raise InvalidInput(_("post {id} has not gone out ({statuses})").format(id=post_id, statuses=said),
                           _("nothing to delete on the platform; to stop it going out: {command}").format(command=cancel)
                           if waiting else
                           _("nothing to delete on the platform; see `campaigner post show {id}`").format(id=post_id))
    if done_by_hand and len(out) > 1 and account is None:
        raise InvalidInput(ngettext("post {id} went out on {n} account ({accounts})",
                                    "post {id} went out on {n} accounts ({accounts})", len(out))
                           .format(id=post_id, n=len(out), accounts=", ".join(d.account.name for d in out)),
                           _("say which one you deleted it on by hand: --account NAME"))


def delete(app: App, post_id: int, *, account: str | None = None, done_by_hand: bool = False) -> list[Done]:
    """Take post ``post_id`` down on ``account`` (a group: on its accounts), or everywhere: what
    went out is deleted on its platform, what has not gone out yet is cancelled.

    ``done_by_hand``: a person deleted it on the platform themselves; it is recorded, no platform is
    asked. Returns what happened to each delivery; a delivery the platform did not let go of has
    its error in ``error`` (the others are done all the same)."""
    from campaigner.services.accounts import connector_config, missing_secret_error, missing_secrets

    now = app.now()
    results: list[Done] = []
    jobs: list[tuple[_Job, AccountConfig]] = []
    with db.write(app.engine) as s:
        post = get(s, post_id)
        chosen = deliveries_on(s, post, account)
        not_importing(post)
        for d in chosen:  # PostgreSQL: a worker's claim waits for us (SQLite: BEGIN IMMEDIATE)
            s.refresh(d, with_for_update=True)
        _check(post_id, chosen, account, done_by_hand)
        if not done_by_hand:  # a missing secret is the user's to fix before anything changes
            for d in chosen:
                missing = missing_secrets(app, d.account) if _out(d) else []
                if missing:
                    raise missing_secret_error(d.account, missing[0])
        for d in chosen:
            out = _out(d)
            done = Done(post_id, d.id, d.account.name, d.account.platform, "", of=len(d.parts))
            if not out:
                if d.status == S.DELETED:
                    done.result = "already deleted"
                elif states.can_move(S(d.status), S.CANCELLED):
                    states.move(d, S.CANCELLED, why="the post is taken down")
                    d.updated_at = now
                    done.result = "cancelled"
                else:
                    continue  # cancelled already, and never out: nothing to say
                results.append(done)
                continue
            if d.status == S.QUEUED:  # a thread's later parts must not go out once its start is gone
                states.move(d, S.CANCELLED, why="the post is taken down")
                d.updated_at = now
            if done_by_hand:
                for p in out:
                    s.add(Attempt(delivery_id=d.id, part_position=p.position, kind="delete", worker=by_hand(),
                                  started_at=now, finished_at=now, outcome=O.DELETED_BY_HAND,
                                  error="deleted on the platform by hand"))
                _settle(d, now)
                done.result, done.parts = "deleted by hand", len(out)
                results.append(done)
                continue
            job = _Job(d.id, d.account.name, d.account.platform, d.remote_url,
                       [(p.position, str(p.remote_id)) for p in reversed(out)], len(d.parts))
            jobs.append((job, connector_config(app, d.account)))
        order = {d.id: i for i, d in enumerate(post.deliveries)}
    for job, config in jobs:
        results.append(_run(app, post_id, job, config))
    return sorted(results, key=lambda r: order[r.delivery_id])


def _settle(d: Delivery, now: datetime) -> None:
    states.move(d, S.DELETED, why="taken down")
    d.last_error = None
    d.next_attempt_at = None
    d.updated_at = now


def _run(app: App, post_id: int, job: _Job, config: AccountConfig) -> Done:
    """Delete ``job``'s parts, the last first; stop at the first the platform does not delete."""
    from connectors.registry import build_connector

    connector = build_connector(config, clock=app.now)
    done = Done(post_id, job.delivery_id, job.account, job.platform, "deleted", of=job.of)
    for position, remote_id in job.parts:
        attempt_id = _begin(app, job.delivery_id, position)
        outcome, error = _call(connector, remote_id, app, post_id, job, position)
        _end(app, attempt_id, outcome, error)
        if error is not None:
            done.result, done.error = "failed", error
            break
        done.parts += 1
    with db.write(app.engine) as s:
        d = s.get(Delivery, job.delivery_id, with_for_update=True)
        if d is None:  # removed meanwhile (account remove --purge): nothing left to record
            return done
        if done.error is not None:
            d.last_error = _("delete failed: {error}").format(error=done.error)
            d.updated_at = app.now()
        elif states.can_move(S(d.status), S.DELETED):
            _settle(d, app.now())
        elif d.status != S.DELETED:
            done.result = "failed"
            done.error = InvalidInput(_("post {id} on {account} became {status} while it was being deleted (its "
                                        "parts are deleted on the platform)")
                                      .format(id=post_id, account=job.account, status=status_word(d.status.value)),
                                      _("see `campaigner post show {id}`").format(id=post_id))
    return done


def _begin(app: App, delivery_id: int, position: int) -> int:
    """The attempt row, written before the call: if the process dies during it, the history
    shows a delete whose outcome is unknown, and the next ``post delete`` deletes again."""
    with db.write(app.engine) as s:
        attempt = Attempt(delivery_id=delivery_id, part_position=position, kind="delete", worker=by_hand(),
                          started_at=app.now())
        s.add(attempt)
        s.flush()
        return attempt.id


def _end(app: App, attempt_id: int, outcome: O, error: CampaignerError | None) -> None:
    with db.write(app.engine) as s:
        attempt = s.get(Attempt, attempt_id)
        if attempt is not None:
            attempt.finished_at, attempt.outcome = app.now(), outcome
            attempt.http_status = getattr(error, "http_status", None)
            attempt.error = None if error is None else error.what[:500]


class DeleteRefused(CampaignerError):
    """The platform did not delete a part; ``outcome`` is the attempt's code."""

    def __init__(self, what: str, fix: str, outcome: O, http_status: int | None = None):
        super().__init__(what, fix)
        self.outcome = outcome
        self.http_status = http_status


def _call(connector, remote_id: str, app: App, post_id: int, job: _Job, position: int
          ) -> tuple[O, DeleteRefused | None]:
    """Ask the platform to delete one part; the outcome, and the error to show when it did not."""
    from connectors.base import AuthExpired, NotSupported, Permanent, RateLimited, Transient, one_line
    from connectors.logsafe import redact

    where = (_("post {id} on {account} (part {part} of {parts})") if job.of > 1 else
             _("post {id} on {account}")).format(id=post_id, account=job.account, part=position + 1, parts=job.of)
    platform = job.platform
    by_hand_fix = (_("delete it on {platform} yourself ({url}), then record it: {command}") if job.url else
                   _("delete it on {platform} yourself, then record it: {command}")).format(
        platform=platform, url=job.url, command=f"campaigner post delete {post_id} --account {job.account} --by-hand")
    try:
        connector.delete(remote_id)
    except NotSupported as exc:
        return O.NOT_SUPPORTED, DeleteRefused(_("{platform} cannot delete {where} through its API ({problem})")
                                              .format(platform=platform, where=where, problem=exc),
                                              by_hand_fix, O.NOT_SUPPORTED, exc.http_status)
    except AuthExpired as exc:
        return O.AUTH_EXPIRED, DeleteRefused(
            _("{platform} refused the credentials of {account} ({problem}); {where} is still there")
            .format(platform=platform, account=job.account, problem=exc, where=where),
            _("fix its secrets (campaigner account show {account}), then run the command again")
            .format(account=job.account), O.AUTH_EXPIRED, exc.http_status)
    except RateLimited as exc:
        until = format_local(exc.retry_at, app.zone_for(None))
        return O.RATE_LIMITED, DeleteRefused(_("{platform} is rate-limiting {account} until {time}; {where} is still "
                                               "there").format(platform=platform, account=job.account, time=until,
                                                               where=where),
                                             _("run the command again after that"), O.RATE_LIMITED, exc.http_status)
    except Permanent as exc:
        return O.PERMANENT, DeleteRefused(_("{platform} refused to delete {where} ({problem})")
                                          .format(platform=platform, where=where, problem=exc.reason),
                                          _("it is still there; if it must go, {fix}").format(fix=by_hand_fix),
                                          O.PERMANENT, exc.http_status)
    except Transient as exc:
        if exc.outcome_unknown:
            return O.UNKNOWN, DeleteRefused(
                _("no answer from {platform} while deleting {where} ({problem}): it may or may not be gone")
                .format(platform=platform, where=where, problem=exc),
                _("run the same command again (a post already gone counts as deleted)"), O.UNKNOWN, exc.http_status)
        return O.TRANSIENT, DeleteRefused(_("could not reach {platform} to delete {where} ({problem}); it is still "
                                            "there").format(platform=platform, where=where, problem=exc),
                                          _("try again later"), O.TRANSIENT, exc.http_status)
    except Exception as exc:  # an answer the connector could not read: it may have been done
        why = one_line(redact(f"{type(exc).__name__}: {exc}"), 200)
        return O.UNKNOWN, DeleteRefused(
            _("{platform}'s answer to deleting {where} could not be read ({problem}): it may or may not be gone")
            .format(platform=platform, where=where, problem=why),
            _("run the same command again (a post already gone counts as deleted)"), O.UNKNOWN)
    return O.DELETED, None
