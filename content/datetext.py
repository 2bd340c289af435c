"""Dates and times as people type them in Indonesia: ``8 Des 2026``, ``Senin, 7 Desember 2026``,
``21/12/26``, ``7-12-2026``, ``09.00 WIB``, ``pukul 19.30``, ``9:00 WITA``, English month names.

Why: a content calendar is kept by hand in a spreadsheet, and the same forms are typed after
``--at``. Refusing them made staff rewrite every cell; reading them wrongly would post on the wrong
day, so the rules are few and strict about what they accept:

- Day first, always: ``07/12/2026`` is 7 December, never July 12 (no US month-first reading). A
  numeric date that only makes sense month first (``12/25/2026``) is refused with the day-first
  form as the fix. A two-digit year is 20YY.
- Month names: Indonesian (``Januari``… ``Desember`` and ``Jan Feb Mar Apr Mei Jun Jul Agu/Agt
  Sep Okt Nov Des``) and English (full and short), any case, with or without a trailing ``.``.
- A weekday before the date (``Senin, 7 Desember 2026``) must be that date's weekday: a wrong
  one is refused, as one of the two is a typo.
- Times: 24-hour ``HH:MM`` or ``HH.MM`` (seconds allowed), ``7:30 PM`` (as an English-locale
  sheet exports them), an optional ``pukul``/``pkl``/``jam`` before (then a bare hour is enough:
  ``pukul 9``) and an optional zone label after: ``WIB`` (Asia/Jakarta), ``WITA``
  (Asia/Makassar), ``WIT`` (Asia/Jayapura) or ``UTC``.

Only the standard library; the caller (core) applies zones and "now".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from gettext import gettext as _

#: Indonesia's zone labels (and UTC) → IANA zone names
ZONE_LABELS: dict[str, str] = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura", "utc": "UTC"}

MONTHS: dict[str, int] = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "october": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "december": 12, "dec": 12,
}
#: weekday word → (Monday = 0 …, "id" or "en"): the language names the weekday in a message
WEEKDAYS: dict[str, tuple[int, str]] = {
    **{w: (n, "id") for n, words in enumerate((
        ("senin", "sen"), ("selasa", "sel"), ("rabu", "rab"), ("kamis", "kam"),
        ("jumat", "jum'at", "jum’at", "jum"), ("sabtu", "sab"), ("minggu", "min", "ahad"))) for w in words},
    **{w: (n, "en") for n, words in enumerate((
        ("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"), ("thursday", "thu", "thur", "thurs"),
        ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun"))) for w in words},
}
DAY_NAMES = {"id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
             "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
MONTH_NAMES = {"id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
                      "Oktober", "November", "Desember"),
               "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December")}



def date_forms() -> str:
    """How to write a date, in the language in use."""
    return _("write it day first: 07/12/2026, 7-12-2026, 7 Des 2026 or 2026-12-07")


def clock_forms() -> str:
    """How to write a time of day, in the language in use."""
    return _("write it as HH:MM or HH.MM, e.g. 08:00, 19.30 or 19.30 WITA")


def _month_name(month: int) -> str:
    """The name of ``month`` (1 to 12) in the language in use."""
    return (_("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"), _("August"),
            _("September"), _("October"), _("November"), _("December"))[month - 1]

_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[\s./-]*([^\W\d_]+)\.?[\s./-]*(\d{4}|\d{2})")
_MONTH_DAY_YEAR = re.compile(r"([^\W\d_]+)\.?\s*(\d{1,2})(?:st|nd|rd|th)?\s+(\d{4})")
_NO_YEAR = re.compile(r"(\d{1,2})[\s./-]*([^\W\d_]+)\.?|(\d{1,2})[/.-](\d{1,2})")
#: a midnight a spreadsheet adds to a date cell formatted as date and time
_MIDNIGHT = re.compile(r"\s+0?0[:.]00(?:[:.]00)?$")
_CLOCK = re.compile(r"(?:(pukul|pkl|jam|at)\.?\s*)?(\d{1,2})(?:[:.](\d{2})(?:[:.](\d{2}))?)?"
                    r"\s*(am|a\.m\.?|pm|p\.m\.?)?\s*(wib|wita|wit|utc)?")
#: a clock at the end of a date and time: what ``split_clock`` cuts off
_TRAILING_CLOCK = re.compile(r"(?:^|\s)((?:(?:pukul|pkl|jam|at)\.?\s*)?\d{1,2}(?:[:.]\d{2}(?:[:.]\d{2})?)?"
                             r"(?:\s*(?:am|a\.m\.?|pm|p\.m\.?))?(?:\s*(?:wib|wita|wit|utc))?)$")


class DateTextError(ValueError):
    """A date or time that cannot be read: ``problem`` (may be empty) and ``fix``, for the
    caller's own "what" (``bad date '…'`` in a calendar row, ``cannot read the time …`` for
    ``--at``)."""

    def __init__(self, problem: str, fix: str):
        super().__init__(f"{problem} — {fix}" if problem else fix)
        self.problem, self.fix = problem, fix


@dataclass(frozen=True, slots=True)
class Clock:
    """A time of day as typed, with the zone its label names (None: no label)."""

    at: time
    zone: str | None = None
    label: str | None = None


def _words(text: str) -> str:
    return " ".join(text.casefold().replace(",", " ").split())


def weekday(word: str) -> tuple[int, str] | None:
    """(weekday, language) of a weekday name (``senin``, ``Mon.``), else None."""
    return WEEKDAYS.get(word.casefold().rstrip("."))


def zone_of_label(label: str) -> str | None:
    """The IANA zone a label names (``WITA`` → ``Asia/Makassar``), else None."""
    return ZONE_LABELS.get(label.strip().casefold())


def read_date(text: str) -> date:
    """The date in ``text`` (see the module docstring); raises ``DateTextError``."""
    s = _MIDNIGHT.sub("", _words(text))
    named = None
    first, _sep, rest = s.partition(" ")
    if rest and weekday(first) is not None:
        named, s = weekday(first), rest
    day = _date(s)
    if named is not None and day.weekday() != named[0]:
        names = DAY_NAMES[named[1]]
        shown = f"{day.day} {MONTH_NAMES[named[1]][day.month - 1]} {day.year}"
        raise DateTextError(_("{date} is a {day}, not a {named}").format(date=shown, day=names[day.weekday()],
                                                                          named=names[named[0]]),
                            _("fix the weekday or the date"))
    return day


def _date(s: str) -> date:
    m = _ISO.fullmatch(s)
    if m:
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)), s)
    m = _NUMERIC.fullmatch(s)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(3)), _year(m.group(4))
        if mo > 12 and 1 <= d <= 12 and 1 <= mo <= 31:  # month first, as a US sheet writes it
            sep = m.group(2)
            raise DateTextError("", _("dates are day first ({form}): did you mean {date}?").format(
                form=f"DD{sep}MM{sep}YYYY", date=f"{mo:02d}{sep}{d:02d}{sep}{m.group(4)}"))
        return _valid(y, mo, d, s)
    m = _DAY_MONTH_YEAR.fullmatch(s)
    if m:
        return _valid(_year(m.group(3)), _month(m.group(2)), int(m.group(1)), s)
    m = _MONTH_DAY_YEAR.fullmatch(s)
    if m and m.group(1) in MONTHS:
        return _valid(int(m.group(3)), MONTHS[m.group(1)], int(m.group(2)), s)
    m = _NO_YEAR.fullmatch(s)
    if m and (m.group(2) is None or m.group(2) in MONTHS):
        raise DateTextError(_("it has no year"), _("add the year, e.g. 7 Des 2026 or 07/12/2026"))
    raise DateTextError("", date_forms())


def _year(digits: str) -> int:
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _month(word: str) -> int:
    month = MONTHS.get(word)
    if month is None:
        raise DateTextError(_("no month is called '{word}'").format(word=word),
                            _("write the month as a number or a name such as Des, Desember or Dec"))
    return month


def _valid(y: int, mo: int, d: int, s: str) -> date:
    try:
        return date(y, mo, d)
    except ValueError:
        if 1 <= mo <= 12 and y >= 1:
            raise DateTextError(_("{month} {year} has no day {day}").format(month=_month_name(mo), year=y, day=d),
                                _("check the day")) from None
        raise DateTextError("", date_forms()) from None


def read_clock(text: str) -> Clock:
    """The time of day in ``text`` (see the module docstring); raises ``DateTextError``."""
    s = " ".join(text.casefold().split())
    m = _CLOCK.fullmatch(s)
    if not m:
        raise DateTextError("", clock_forms())
    word, hours, minutes, seconds, half, label = m.groups()
    if minutes is None and word is None and half is None:
        raise DateTextError("", clock_forms())  # a bare number is no time (unless "pukul 9" or "9 pm")
    h, mi, sec = int(hours), int(minutes or 0), int(seconds or 0)
    if half is not None:
        if not 1 <= h <= 12:
            raise DateTextError(_("{hours} is no hour on a 12-hour clock").format(hours=hours), clock_forms())
        h = h % 12 + (12 if half.startswith("p") else 0)
    if h > 23 or mi > 59 or sec > 59:
        raise DateTextError("", clock_forms())
    return Clock(time(h, mi, sec), ZONE_LABELS[label] if label else None, label.upper() if label else None)


def split_clock(text: str) -> tuple[str, str] | None:
    """``text`` cut into (what comes before the time of day, the time of day), when it ends with
    one (``"senin, 7 des 2026 pukul 19.30 wib"`` → ``("senin, 7 des 2026", "pukul 19.30 wib")``);
    None when it does not."""
    s = " ".join(text.casefold().split())
    m = _TRAILING_CLOCK.search(s)
    if not m:
        return None
    head = s[:m.start(1)].strip().rstrip(",").strip()
    return head, m.group(1)


def zone_label(text: str) -> str | None:
    """The IANA zone of a zone label ending ``text`` (``"09.00 WITA"`` → ``Asia/Makassar``)."""
    if not text or not text[-1].isalpha():
        return None
    return ZONE_LABELS.get(text.rsplit(None, 1)[-1].casefold())
