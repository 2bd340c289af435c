"""The report's words in English and Bahasa Indonesia, and numbers, dates and times as each
language writes them (English ``1,234`` / ``3.5%`` / ``Mon 23 Nov``; Indonesian ``1.234`` /
``3,5%`` / ``Sen 23 Nov``, hours as ``19.00``).

Every label a renderer prints comes from ``STRINGS``; a test checks both languages have the same
keys. ``None`` is never printed as 0: a single value shows as ``–``, a total as ``n/a`` / ``t/a``,
and a metric in a platform's own line as "not known" / "tidak diketahui".
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DASH = "–"
LANGS = ("en", "id")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Weekly report",
        "week_title": "Week {week}, {year}",
        "campaign_scope": "Campaign {name}",
        "range": "{first} – {last}",
        "generated": "Generated {when}",
        "partial": "This week is not over yet: figures up to {when}.",
        "empty": "No posts were published or failed in this week.",
        "empty_prev": "The week before: {published} published, {failed} failed.",
        "overall": "Overall",
        "campaign": "Campaign",
        "no_campaign": "Posts without a campaign",
        "published": "Published",
        "failed": "Failed",
        "posts": "posts",
        "post": "post",
        "vs_last": "vs last week",
        "last_week": "last week",
        "new": "new",
        "interactions": "Interactions",
        "interactions_note": "likes + reposts + replies + quotes",
        "impressions": "Impressions",
        "rate": "Engagement rate",
        "also": "Also",
        "measured": "{measured} of {posts} posts measured",
        "measured_one": "{measured} of {posts} post measured",
        "gone_note": "{n} gone from their platform",
        "deleted_note": "{n} taken down (deleted)",
        "na": "n/a",
        "pts": "pts",
        "by_platform": "By platform",
        "by_account": "By account",
        "top_posts": "Top posts",
        "no_top": "No measured posts yet.",
        "hashtags": "Hashtags",
        "no_hashtags": "No hashtags.",
        "campaign_tag": "campaign tag",
        "per_post": "per post",
        "best_times": "Best times",
        "best_times_note": "last {weeks} weeks, average interactions per post, local time",
        "best_times_min": "a time needs at least {n} measured posts",
        "by_hour": "By hour",
        "by_weekday": "By weekday",
        "best_at": "best at {hour}, on {weekday}",
        "best_hour_only": "best at {hour}",
        "best_day_only": "best on {weekday}",
        "not_enough": "not enough posts yet",
        "avg": "avg",
        "replies_title": "Replies",
        "replies_total": "{n} replies",
        "replies_total_one": "{n} reply",
        "no_replies": "No replies this week.",
        "by_language": "By language",
        "unknown_language": "unknown",
        "positive_examples": "Positive",
        "negative_examples": "Negative",
        "on": "on",
        "attention": "Needs attention",
        "attention_none": "Nothing: every account is fine.",
        "att_paused": "paused",
        "att_held": "held until {until}",
        "att_failures": "{posts}, {attempts} this week",
        "failed_posts": "{n} failed posts",
        "failed_posts_one": "{n} failed post",
        "failed_attempts": "{n} failed attempts",
        "failed_attempts_one": "{n} failed attempt",
        "att_token_expiring": "token expires {when}",
        "att_token_expired": "token expired {when}",
        "att_expired": "{posts} not sent this week: past the lateness limit (to send one anyway: campaigner post "
                       "retry POST_ID --account {name}; list: campaigner post list --status expired)",
        "att_unapproved": "{posts} not sent this week: drafts not approved by their time (to send one: campaigner "
                          "post approve POST_ID --at TIME; list: campaigner post list --status draft)",
        "late_title": "Published late (15 minutes or more after their time)",
        "late_none": "None: every post went out within 15 minutes of its time.",
        "late_line": "post {post} on {account} ({platform}): {late} late — its time {due}, out {out}",
        "late_more": "… and {n} more (the CSV and JSON formats list them all)",
        "dur_d": "d",
        "dur_h": "h",
        "dur_min": "min",
        "resume_hint": "once fixed: campaigner account resume {name}",
        "platform": "platform",
        "account": "account",
        "col_posts": "posts",
        "col_likes": "likes",
        "col_reposts": "reposts",
        "col_replies": "replies",
        "col_quotes": "quotes",
        "col_views": "views",
        "col_rate": "rate",
        "col_failed": "failed",
        "col_hashtag": "hashtag",
        "col_interactions": "inter.",
        "col_per_post": "/post",
        "likes": "likes",
        "reposts": "reposts",
        "replies": "replies",
        "quotes": "quotes",
        "bookmarks": "bookmarks",
        "clicks": "clicks",
        "positive": "positive",
        "neutral": "neutral",
        "negative": "negative",
        "unscored": "not scored",
        "chart_accounts": "Interactions per account (this week and last week)",
        "chart_hours": "Average interactions per post by local hour",
        "chart_weekdays": "Average interactions per post by weekday",
        "chart_sentiment": "Replies by sentiment and language",
        "this_week": "this week",
        "footnote": "– = the platform does not tell; n/a = no post has this figure. Totals add known "
                    "values only. Engagement rate = interactions ÷ impressions, over posts with both.",
        "interactions_lc": "interactions",
        "not_known_metric": "{name} not known",
        "m_likes": "likes",
        "m_reposts": "reposts",
        "m_replies": "replies",
        "m_quotes": "quotes",
        "m_impressions": "impressions",
        "m_bookmarks": "bookmarks",
        "m_clicks": "clicks",
        "m_views": "views",
        "m_reach": "reach",
        "m_saves": "saves",
        "m_shares": "shares",
        "m_comments": "comments",
        "reach": "reach",
        "shares": "shares",
        "sov_title": "Share of voice",
        "sov_vs": "vs",
        "sov_share": "share",
        "sov_days": "{n} days",
        "sov_utc_days": "{n} UTC days",
        "sov_no_compare": "no comparison tags (to add one: campaigner campaign edit {slug} --compare-tag TAG)",
        "sov_note": "Public posts carrying each tag, our own posts left out, over the days on which every tag was "
                    "counted. Each platform counts a different public, so they are not added up: Mastodon what "
                    "reached each instance, by UTC day; Bluesky what its search finds; X posts without reposts.",
        "sov_at_least": "≥: at least (a search that stopped early, or a day not over); a share marked ≥ or ≤ "
                        "may be higher or lower, ~ either way.",

        "inbox_title": "Replies inbox",
        "inbox_none": "No replies this week.",
        "inbox_all": "All",
        "inbox_no_campaign": "(no campaign)",
        "kind_question": "questions",
        "kind_question_one": "question",
        "kind_support": "support",
        "kind_oppose": "opposition",
        "kind_other": "other",
        "kind_unclassified": "not classified",
        "inbox_handled": "{answered} answered, {dismissed} dismissed",
        "inbox_sent": "Answers sent from the inbox: {n}",
        "open_questions": "Questions still unanswered",
        "open_none": "None: every question of the week was answered or dismissed.",
        "open_more": "…and {n} more: campaigner replies list --kind question --state new",
        "most_replied": "Most replied posts",
        "replies_n": "{n} replies",
        "replies_n_one": "{n} reply",
    },
    "id": {
        "title": "Laporan mingguan",
        "week_title": "Pekan ke-{week} tahun {year}",
        "campaign_scope": "Kampanye {name}",
        "range": "{first} – {last}",
        "generated": "Dibuat {when}",
        "partial": "Pekan ini belum selesai: angka sampai {when}.",
        "empty": "Tidak ada postingan yang terbit atau gagal pada pekan ini.",
        "empty_prev": "Pekan sebelumnya: {published} terbit, {failed} gagal.",
        "overall": "Keseluruhan",
        "campaign": "Kampanye",
        "no_campaign": "Postingan tanpa kampanye",
        "published": "Terbit",
        "failed": "Gagal",
        "posts": "postingan",
        "post": "postingan",
        "vs_last": "dibanding pekan lalu",
        "last_week": "pekan lalu",
        "new": "baru",
        "interactions": "Interaksi",
        "interactions_note": "suka + bagikan ulang + balasan + kutipan",
        "impressions": "Tayangan",
        "rate": "Tingkat interaksi",
        "also": "Juga",
        "measured": "{measured} dari {posts} postingan terukur",
        "measured_one": "{measured} dari {posts} postingan terukur",
        "gone_note": "{n} sudah hilang dari platformnya",
        "deleted_note": "{n} sudah diturunkan (dihapus)",
        "na": "t/a",
        "pts": "poin",
        "by_platform": "Per platform",
        "by_account": "Per akun",
        "top_posts": "Postingan terbaik",
        "no_top": "Belum ada postingan yang terukur.",
        "hashtags": "Tagar",
        "no_hashtags": "Tidak ada tagar.",
        "campaign_tag": "tagar kampanye",
        "per_post": "per postingan",
        "best_times": "Waktu terbaik",
        "best_times_note": "{weeks} pekan terakhir, rata-rata interaksi per postingan, waktu setempat",
        "best_times_min": "suatu waktu perlu sedikitnya {n} postingan terukur",
        "by_hour": "Per jam",
        "by_weekday": "Per hari",
        "best_at": "terbaik pukul {hour}, hari {weekday}",
        "best_hour_only": "terbaik pukul {hour}",
        "best_day_only": "terbaik hari {weekday}",
        "not_enough": "postingan belum cukup",
        "avg": "rata-rata",
        "replies_title": "Balasan",
        "replies_total": "{n} balasan",
        "replies_total_one": "{n} balasan",
        "no_replies": "Tidak ada balasan pekan ini.",
        "by_language": "Per bahasa",
        "unknown_language": "tidak diketahui",
        "positive_examples": "Positif",
        "negative_examples": "Negatif",
        "on": "di",
        "attention": "Perlu perhatian",
        "attention_none": "Tidak ada: semua akun baik.",
        "att_paused": "dijeda",
        "att_held": "ditahan sampai {until}",
        "att_failures": "{posts}, {attempts} pekan ini",
        "failed_posts": "{n} postingan gagal",
        "failed_posts_one": "{n} postingan gagal",
        "failed_attempts": "{n} percobaan gagal",
        "failed_attempts_one": "{n} percobaan gagal",
        "att_token_expiring": "token kedaluwarsa {when}",
        "att_token_expired": "token sudah kedaluwarsa {when}",
        "att_expired": "{posts} tidak terkirim pekan ini: lewat batas keterlambatan (untuk tetap mengirim: "
                       "campaigner post retry POST_ID --account {name}; daftar: campaigner post list --status expired)",
        "att_unapproved": "{posts} tidak terkirim pekan ini: rancangan belum disetujui sampai waktunya (untuk "
                          "mengirim: campaigner post approve POST_ID --at WAKTU; daftar: campaigner post list "
                          "--status draft)",
        "late_title": "Terbit terlambat (15 menit atau lebih setelah waktunya)",
        "late_none": "Tidak ada: semua postingan terbit kurang dari 15 menit setelah waktunya.",
        "late_line": "postingan {post} di {account} ({platform}): terlambat {late} — waktunya {due}, terbit {out}",
        "late_more": "… dan {n} lagi (format CSV dan JSON mencantumkan semuanya)",
        "dur_d": "hari",
        "dur_h": "jam",
        "dur_min": "menit",
        "resume_hint": "setelah diperbaiki: campaigner account resume {name}",
        "platform": "platform",
        "account": "akun",
        "col_posts": "unggah",
        "col_likes": "suka",
        "col_reposts": "b.ulang",
        "col_replies": "balasan",
        "col_quotes": "kutipan",
        "col_views": "tayangan",
        "col_rate": "tingkat",
        "col_failed": "gagal",
        "col_hashtag": "tagar",
        "col_interactions": "interaksi",
        "col_per_post": "/unggah",
        "likes": "suka",
        "reposts": "bagikan ulang",
        "replies": "balasan",
        "quotes": "kutipan",
        "bookmarks": "markah",
        "clicks": "klik",
        "positive": "positif",
        "neutral": "netral",
        "negative": "negatif",
        "unscored": "belum dinilai",
        "chart_accounts": "Interaksi per akun (pekan ini dan pekan lalu)",
        "chart_hours": "Rata-rata interaksi per postingan menurut jam setempat",
        "chart_weekdays": "Rata-rata interaksi per postingan menurut hari",
        "chart_sentiment": "Balasan menurut sentimen dan bahasa",
        "this_week": "pekan ini",
        "footnote": "– = platform tidak memberi angka ini; t/a = tidak ada postingan dengan angka ini. "
                    "Jumlah hanya menambah nilai yang diketahui. Tingkat interaksi = interaksi ÷ "
                    "tayangan, atas postingan yang punya keduanya.",
        "interactions_lc": "interaksi",
        "not_known_metric": "{name} tidak diketahui",
        "m_likes": "suka",
        "m_reposts": "bagikan ulang",
        "m_replies": "balasan",
        "m_quotes": "kutipan",
        "m_impressions": "tayangan",
        "m_bookmarks": "markah",
        "m_clicks": "klik",
        "m_views": "tayangan",
        "m_reach": "jangkauan",
        "m_saves": "simpanan",
        "m_shares": "dibagikan",
        "m_comments": "komentar",
        "reach": "jangkauan",
        "shares": "dibagikan",
        "sov_title": "Pangsa suara (share of voice)",
        "sov_vs": "vs",
        "sov_share": "pangsa",
        "sov_days": "{n} hari",
        "sov_utc_days": "{n} hari UTC",
        "sov_no_compare": "tanpa tagar pembanding (untuk menambah: campaigner campaign edit {slug} --compare-tag TAG)",
        "sov_note": "Postingan publik yang memuat tiap tagar, tanpa postingan kita sendiri, pada hari-hari ketika semua "
                    "tagar dihitung. Tiap platform menghitung publik yang berbeda, jadi tidak dijumlahkan: Mastodon "
                    "yang sampai ke tiap instans, per hari UTC; Bluesky yang ditemukan pencariannya; X postingan tanpa "
                    "repost.",
        "sov_at_least": "≥: paling sedikit (pencarian berhenti lebih awal, atau hari belum selesai); pangsa bertanda "
                        "≥ atau ≤ bisa lebih tinggi atau lebih rendah, ~ ke dua arah.",

        "inbox_title": "Kotak balasan",
        "inbox_none": "Tidak ada balasan pekan ini.",
        "inbox_all": "Semua",
        "inbox_no_campaign": "(tanpa kampanye)",
        "kind_question": "pertanyaan",
        "kind_question_one": "pertanyaan",
        "kind_support": "dukungan",
        "kind_oppose": "penolakan",
        "kind_other": "lainnya",
        "kind_unclassified": "belum digolongkan",
        "inbox_handled": "{answered} dijawab, {dismissed} diabaikan",
        "inbox_sent": "Jawaban dikirim dari kotak balasan: {n}",
        "open_questions": "Pertanyaan yang belum dijawab",
        "open_none": "Tidak ada: semua pertanyaan pekan ini sudah dijawab atau diabaikan.",
        "open_more": "…dan {n} lagi: campaigner replies list --kind question --state new",
        "most_replied": "Postingan dengan balasan terbanyak",
        "replies_n": "{n} balasan",
        "replies_n_one": "{n} balasan",
    },
}

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"],
}
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "id": ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"],
}
LANGUAGE_NAMES = {
    "en": {"id": "Indonesian", "en": "English", "jv": "Javanese", "su": "Sundanese", "ms": "Malay"},
    "id": {"id": "Indonesia", "en": "Inggris", "jv": "Jawa", "su": "Sunda", "ms": "Melayu"},
}


class Lang:
    """Words and formats for one language."""

    def __init__(self, code: str = "en"):
        if code not in LANGS:
            raise ValueError(f"unknown language {code!r}")
        self.code = code
        self.strings = STRINGS[code]

    def __call__(self, key: str, **kw) -> str:
        text = self.strings[key]
        return text.format(**kw) if kw else text

    def count(self, key: str, n: int, **kw) -> str:
        """``key``'s text for the count ``n``: its ``_one`` form when ``n`` is 1 ("1 reply", never
        "1 replies"); ``n`` is given to the text as ``{n}`` unless ``kw`` names it otherwise."""
        return self(f"{key}_one" if n == 1 else key, **{"n": self.num(n), **kw})

    # numbers
    def num(self, n: int | float | None, *, total: bool = False) -> str:
        """``1,234`` / ``1.234``; None → ``–`` (or ``n/a`` for a total)."""
        if n is None:
            return self("na") if total else DASH
        if isinstance(n, float) and not n.is_integer():
            return self.dec(n)
        s = f"{int(n):,}"
        return s.replace(",", ".") if self.code == "id" else s

    def dec(self, x: float | None, digits: int = 1, *, total: bool = False) -> str:
        if x is None:
            return self("na") if total else DASH
        s = f"{x:,.{digits}f}"
        if self.code == "id":
            s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return s

    def compact(self, n: int | None, width: int) -> str:
        """A number that fits ``width`` columns: 1,234,567 → 1.2M when it must."""
        s = self.num(n)
        if len(s) <= width or n is None:
            return s
        for div, unit in ((1_000_000_000, "B" if self.code == "en" else "M"),
                          (1_000_000, "M" if self.code == "en" else "jt"), (1_000, "k" if self.code == "en" else "rb")):
            if abs(n) >= div:
                c = self.dec(n / div) + unit
                if len(c) <= width:
                    return c
        return s

    def pct(self, x: float | None, *, total: bool = False) -> str:
        """A fraction as a percentage: 0.0345 → ``3.5%`` / ``3,5%``."""
        if x is None:
            return self("na") if total else DASH
        return self.dec(x * 100) + "%"

    # changes against last week
    def delta(self, cur: int | None, prev: int | None) -> str:
        """``+12, +15%`` / ``-3, -20%`` / ``±0``; empty when either side is unknown or last week was 0."""
        if cur is None or prev is None or prev == 0:
            return ""
        d = cur - prev
        sign = "+" if d > 0 else ("-" if d < 0 else "±")
        if d == 0:
            return "±0"
        return f"{sign}{self.num(abs(d))}, {sign}{self.dec(abs(d) / prev * 100, 0)}%"

    def change(self, cur: int | None, prev: int | None, *, total: bool = True) -> str:
        """The note after a figure: ``(+12, +15% vs last week)``, ``(last week 0)``,
        ``(last week n/a)``, or nothing when neither week has it."""
        if (cur is None and prev is None) or (cur == 0 and prev == 0):
            return ""
        if cur is None or prev is None or prev == 0:
            return f"({self('last_week')} {self.num(prev, total=total)})"
        return f"({self.delta(cur, prev)} {self('vs_last')})"

    def change_pts(self, cur: float | None, prev: float | None) -> str:
        """``(+0.4 pts vs last week)`` for a rate; ``(last week n/a)`` when it had none."""
        if cur is None and prev is None:
            return ""
        if cur is None or prev is None:
            return f"({self('last_week')} {self.pct(prev, total=True)})"
        d = (cur - prev) * 100
        sign = "+" if d >= 0.05 else ("-" if d <= -0.05 else "±")
        return f"({sign}{self.dec(abs(d))} {self('pts')} {self('vs_last')})"

    # dates and times
    def month(self, d: date, short: bool = True) -> str:
        name = MONTHS[self.code][d.month - 1]
        return name[:3] if short and self.code == "en" else (name[:3] if short else name)

    def weekday(self, i: int, short: bool = False) -> str:
        name = WEEKDAYS[self.code][i]
        return name[:3] if short else name

    def day(self, d: date, *, weekday: bool = True, year: bool = True) -> str:
        """en ``Mon 23 Nov 2026``; id ``Sen 23 Nov 2026``."""
        parts = [self.weekday(d.weekday(), short=True)] if weekday else []
        parts += [str(d.day), self.month(d)]
        if year:
            parts.append(str(d.year))
        return " ".join(parts)

    def hour(self, h: int) -> str:
        return f"{h:02d}.00" if self.code == "id" else f"{h:02d}:00"

    def time(self, when: datetime, zone: ZoneInfo, *, weekday: bool = True, year: bool = False) -> str:
        """``Tue 24 Nov 09:00 WIB`` / ``Sel 24 Nov 09.00 WIB``."""
        local = when.astimezone(zone)
        clock = local.strftime("%H.%M" if self.code == "id" else "%H:%M")
        return f"{self.day(local.date(), weekday=weekday, year=year)} {clock} {local.tzname() or ''}".rstrip()

    def language(self, code: str | None) -> str:
        if not code:
            return self("unknown_language")
        name = LANGUAGE_NAMES[self.code].get(code)
        return f"{name} ({code})" if name else code

    def week_title(self, week) -> str:
        return self("week_title", week=week.week, year=week.year)

    def week_range(self, week) -> str:
        first, last = week.first_day, week.last_day
        same_year = first.year == last.year
        return self("range", first=self.day(first, year=not same_year), last=self.day(last))

    def duration(self, td: timedelta) -> str:
        """``2 d 3 h``, ``3 h 5 min``, ``12 min`` (Indonesian: ``2 hari 3 jam``…), down to the minute."""
        minutes = int(td.total_seconds() // 60)
        days, rest = divmod(minutes, 1440)
        hours, mins = divmod(rest, 60)
        parts = [(days, "dur_d"), (hours, "dur_h")] if days else [(hours, "dur_h"), (mins, "dur_min")]
        return " ".join(f"{self.num(n)} {self(unit)}" for n, unit in parts if n) or f"0 {self('dur_min')}"

    def metric(self, name: str) -> str:
        """A metric's name (the platform's own, e.g. Instagram's ``saves``) in this language; a
        name with no translation as it is."""
        return self.strings.get(f"m_{name}", name)

    def posts(self, n: int) -> str:
        return f"{self.num(n)} {self('post' if n == 1 else 'posts')}"
