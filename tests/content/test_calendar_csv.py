"""The content-calendar CSV: reading what spreadsheets write, line-numbered errors, round trips."""

import io

import pytest

from content.calendar_csv import CalendarRow, RowError, read_calendar, write_calendar

ACCEPTED = ("date/tanggal/tgl, time/jam/waktu/pukul, accounts/account/akun, "
            "text/teks/isi/konten/content, link/tautan/url, campaign/kampanye, "
            "media/gambar/foto/image/images, max_late/max-late/max late/batas_telat/batas telat, status")
DATE_FORMS = "write it day first: 07/12/2026, 7-12-2026, 7 Des 2026 or 2026-12-07"
CLOCK_FORMS = "write it as HH:MM or HH.MM, e.g. 08:00, 19.30 or 19.30 WITA"
TEXT = "Tolak Tapera! Upah layak untuk semua buruh #UpahLayak"


def read(text, encoding="utf-8"):
    return read_calendar(text.encode(encoding))


def test_comma_file_with_bom_and_all_columns():
    data = ("\ufeffdate,time,accounts,text,link,campaign,media\r\n"
            f"2026-12-01,08:00,kspi_x,{TEXT},https://kspi.or.id/tapera,tolak-tapera,poster.jpg\r\n"
            "2026-12-01,19:30,kspi_x kspi_masto,Aksi 1 Desember,,,\r\n")
    result = read(data)
    assert result.errors == []
    assert result.ok
    assert result.rows == [
        CalendarRow("2026-12-01", "08:00", ["kspi_x"], TEXT, "https://kspi.or.id/tapera",
                    "tolak-tapera", ["poster.jpg"]),
        CalendarRow("2026-12-01", "19:30", ["kspi_x", "kspi_masto"], "Aksi 1 Desember"),
    ]
    assert [r.line for r in result.rows] == [2, 3]


def test_semicolon_indonesian_headers_and_day_first_dates():
    data = ("Tanggal;Jam;Akun;Isi;Tautan;Kampanye;Gambar\n"
            "01/12/2026;08.00;kspi_x;Mogok nasional, 1 Desember;;upah;\n"
            "5-1-2027;7:05;kspi_x;Selamat tahun baru;;;\n")
    result = read(data)
    assert result.errors == []
    assert [(r.date, r.time, r.text, r.campaign) for r in result.rows] == [
        ("2026-12-01", "08:00", "Mogok nasional, 1 Desember", "upah"),
        ("2027-01-05", "07:05", "Selamat tahun baru", None),
    ]


def test_header_names_are_case_and_space_insensitive_and_optional_columns_may_be_absent():
    result = read(" DATE , Waktu,AKUN,  Konten \n2026-12-01,08:00:00,kspi_x,Halo\n")
    assert result.errors == []
    assert result.rows == [CalendarRow("2026-12-01", "08:00", ["kspi_x"], "Halo")]


def test_excel_sep_line_and_tab_delimiter():
    result = read("sep=;\r\ndate;time;accounts;text\r\n2026-12-01;08:00;kspi_x;a, b\r\n")
    assert result.errors == []
    assert [(r.text, r.line) for r in result.rows] == [("a, b", 3)]
    tabbed = read("date\ttime\taccounts\ttext\n2026-12-01\t08:00\tkspi_x\tHalo, kawan; semua\n")
    assert [r.text for r in tabbed.rows] == ["Halo, kawan; semua"]


def test_quoted_multiline_text_and_physical_line_numbers():
    data = ('date,time,accounts,text\r\n'
            '2026-12-01,08:00,kspi_x,"Baris satu,\r\nbaris dua\r\n\r\nbaris ""empat"""\r\n'
            '\r\n'
            '2026-12-02,08:00,kspi_x,Satu baris\r\n'
            '2026-12-03,08:00,kspi_x,"Dua\nbaris"\r\n'
            '2026-13-03,08:00,kspi_x,salah\r\n')
    result = read(data)
    assert [r.line for r in result.rows] == [2, 7, 8]
    assert result.rows[0].text == 'Baris satu,\nbaris dua\n\nbaris "empat"'
    assert result.rows[2].text == "Dua\nbaris"
    assert result.errors == [RowError(10, f"bad date '2026-13-03' — {DATE_FORMS}")]
    assert str(result.errors[0]).startswith("line 10: bad date")


def test_line_separator_characters_inside_text_do_not_shift_line_numbers():
    data = "date,time,accounts,text\n2026-12-01,08:00,kspi_x,a\u2028b\x0cc\n2026-12-01,08:00,kspi_x,\n"
    result = read(data)
    assert result.rows[0].text == "a\u2028b\x0cc"
    assert result.errors == [RowError(3, "empty text cell — every row needs date, time, accounts and text")]


def test_accounts_and_media_splitting():
    data = ('date,time,accounts,text,media\n'
            '2026-12-01,08:00,"kspi_x, kspi_masto | fspmi_bsky;kspi_x  kspi_tg","Halo","aksi 1.jpg|poster, final.png\n spanduk.webp |"\n')
    row = read(data).rows[0]
    assert row.accounts == ["kspi_x", "kspi_masto", "fspmi_bsky", "kspi_tg"]
    assert row.media == ["aksi 1.jpg", "poster, final.png", "spanduk.webp"]


def test_blank_lines_and_rows_of_empty_cells_are_skipped():
    data = "date,time,accounts,text\n\n,,,\n2026-12-01,08:00,kspi_x,Halo\n   \n"
    result = read(data)
    assert result.errors == []
    assert [r.line for r in result.rows] == [4]


def test_trailing_empty_columns_from_a_spreadsheet_are_ignored():
    result = read("date,time,accounts,text,,\n2026-12-01,08:00,kspi_x,Halo,,\n2026-12-01,09:00,kspi_x,Lagi\n")
    assert result.errors == []
    assert len(result.rows) == 2


def test_value_in_a_column_without_header():
    result = read("date,time,accounts,text,\n2026-12-01,08:00,kspi_x,Halo,lupa\n")
    assert result.errors == [RowError(2, "a value in column 5, which has no header — add a header name or clear the column")]


def test_row_with_too_many_cells():
    result = read("date,time,accounts,text\n2026-12-01,08:00,kspi_x,Upah layak, untuk semua\n")
    assert result.rows == []
    assert result.errors == [RowError(2, "this row has 5 cells but the header has 4 columns — put text that contains ',' in double quotes")]


@pytest.mark.parametrize("row,message", [
    (",08:00,kspi_x,Halo", "empty date cell — every row needs date, time, accounts and text"),
    ("2026-12-01,,,Halo", "empty time and accounts cells — every row needs date, time, accounts and text"),
    ("2026-12-01,08:00", "empty accounts and text cells — every row needs date, time, accounts and text"),
    ("31/02/2026,08:00,kspi_x,Halo", "bad date '31/02/2026': February 2026 has no day 31 — check the day"),
    ("12/25/2026,08:00,kspi_x,Halo", "bad date '12/25/2026' — dates are day first (DD/MM/YYYY): did you mean 25/12/2026?"),
    ("12-25-26,08:00,kspi_x,Halo", "bad date '12-25-26' — dates are day first (DD-MM-YYYY): did you mean 25-12-26?"),
    ("8 Dez 2026,08:00,kspi_x,Halo", "bad date '8 Dez 2026': no month is called 'dez' — write the month as a number "
                                     "or a name such as Des, Desember or Dec"),
    ("8 Des,08:00,kspi_x,Halo", "bad date '8 Des': it has no year — add the year, e.g. 7 Des 2026 or 07/12/2026"),
    ("\"Selasa, 7 Desember 2026\",08:00,kspi_x,Halo", "bad date 'Selasa, 7 Desember 2026': 7 Desember 2026 is a Senin, "
                                                     "not a Selasa — fix the weekday or the date"),
    ("Tue 7 Dec 2026,08:00,kspi_x,Halo", "bad date 'Tue 7 Dec 2026': 7 December 2026 is a Monday, not a Tuesday — "
                                         "fix the weekday or the date"),
    ("besok,08:00,kspi_x,Halo", f"bad date 'besok' — {DATE_FORMS}"),
    ("2026-12-01,24:00,kspi_x,Halo", f"bad time '24:00' — {CLOCK_FORMS}"),
    ("2026-12-01,8 pagi,kspi_x,Halo", f"bad time '8 pagi' — {CLOCK_FORMS}"),
    ("2026-12-01,9,kspi_x,Halo", f"bad time '9' — {CLOCK_FORMS}"),
    ("2026-12-01,13:00 PM,kspi_x,Halo", f"bad time '13:00 PM': 13 is no hour on a 12-hour clock — {CLOCK_FORMS}"),
    ("2026-12-01,09.00 EST,kspi_x,Halo", f"bad time '09.00 EST' — {CLOCK_FORMS}"),
])
def test_row_errors(row, message):
    result = read("date,time,accounts,text\n" + row + "\n")
    assert result.rows == []
    assert result.errors == [RowError(2, message)]


def test_bad_link_and_several_problems_on_one_row():
    result = read("date,time,accounts,text,link\n2026-02-30,25:00,kspi_x,Halo,www.kspi.or.id\n")
    assert [e.message for e in result.errors] == [
        "bad date '2026-02-30': February 2026 has no day 30 — check the day",
        f"bad time '25:00' — {CLOCK_FORMS}",
        "link 'www.kspi.or.id' must start with http:// or https:// (and hold no spaces)",
    ]
    assert {e.line for e in result.errors} == {2}


def test_good_rows_survive_bad_ones():
    data = "date,time,accounts,text\n2026-12-01,08:00,kspi_x,Satu\nxx,08:00,kspi_x,Dua\n2026-12-03,08:00,kspi_x,Tiga\n"
    result = read(data)
    assert [r.text for r in result.rows] == ["Satu", "Tiga"]
    assert [e.line for e in result.errors] == [3]
    assert not result.ok


def test_missing_required_headers_is_one_error_listing_accepted_names():
    result = read("tanggal,teks,kampanye\n2026-12-01,Halo,upah\n")
    assert result.rows == []
    assert result.errors == [RowError(1, f"missing columns time, accounts in the header — accepted names: {ACCEPTED}")]


def test_unknown_column_is_an_error_with_a_suggestion():
    result = read("tangal,time,accounts,text\n2026-12-01,08:00,kspi_x,Halo\n")
    assert result.errors == [  # one error for the header, naming all its problems
        RowError(1, f"missing column date in the header; unknown column 'tangal' (did you mean 'tanggal'?) — "
                    f"accepted names: {ACCEPTED}"),
    ]
    assert result.fatal == "header"
    strict = read_calendar(b"date,time,accounts,text,prioritas\n", strict=True)
    assert strict.errors == [RowError(1, f"unknown column 'prioritas' — accepted names: {ACCEPTED}")]


def test_extra_columns_are_ignored_and_named_unless_strict():
    data = ("No;Tanggal;Jam;Akun;Isi;PIC;Catatan;Kampanya\n"
            "1;07/12/2026;09.00;kspi_x;Halo;Budi;cek dulu;upah\n")
    result = read(data)
    assert result.errors == []
    assert result.rows == [CalendarRow("2026-12-07", "09:00", ["kspi_x"], "Halo")]
    assert result.ignored == ["'No'", "'PIC'", "'Catatan'", "'Kampanya' (did you mean 'kampanye'?)"]
    strict = read_calendar(data.encode(), strict=True)
    assert (strict.rows, strict.fatal) == ([], "header")
    assert strict.errors == [RowError(1, "unknown columns 'No', 'PIC', 'Kampanya' (did you mean 'kampanye'?) — "
                                         f"accepted names: {ACCEPTED}")]
    assert read_calendar(b"date,time,accounts,text,Catatan\n2026-12-07,09:00,a,b,c\n", strict=True).errors == []


@pytest.mark.parametrize("cell, date", [
    ("8 Des 2026", "2026-12-08"), ("21 Desember 2026", "2026-12-21"), ("Senin, 7 Desember 2026", "2026-12-07"),
    ("21/12/26", "2026-12-21"), ("7-12-2026", "2026-12-07"), ("7.12.2026", "2026-12-07"), ("2026/12/07", "2026-12-07"),
    ("7 December 2026", "2026-12-07"), ("Dec 7, 2026", "2026-12-07"), ("December 7th 2026", "2026-12-07"),
    ("7-Dec-26", "2026-12-07"), ("Mon, 7 Dec 2026", "2026-12-07"), ("SELASA 8 DES 2026", "2026-12-08"),
    ("17 Agu 2027", "2027-08-17"), ("17 Agt 2027", "2027-08-17"), ("17 Agustus 2027", "2027-08-17"),
    ("1 Mei 2027", "2027-05-01"), ("3 Okt. 2027", "2027-10-03"), ("Jumat, 1 Jan 2027", "2027-01-01"),
    ("Jum'at, 1 Januari 2027", "2027-01-01"), ("28 Peb 2027", "2027-02-28"), ("10 Nopember 2027", "2027-11-10"),
    ("07/12/2026 0:00:00", "2026-12-07"), ("01/02/2026", "2026-02-01"),
])
def test_dates_as_people_type_them_are_read_day_first(cell, date):
    result = read(f"date;time;accounts;text\n{cell};09.00;kspi_x;Halo\n")
    assert result.errors == []
    assert [r.date for r in result.rows] == [date]


@pytest.mark.parametrize("cell, time, zone", [
    ("09.00 WIB", "09:00", "Asia/Jakarta"), ("9:00 WITA", "09:00", "Asia/Makassar"), ("pukul 19.30", "19:30", None),
    ("19.30 WIT", "19:30", "Asia/Jayapura"), ("Pukul 19.30 wita", "19:30", "Asia/Makassar"), ("pkl. 7", "07:00", None),
    ("jam 21.15", "21:15", None), ("7:30 PM", "19:30", None), ("12:05:00 AM", "00:05", None), ("19.30.00", "19:30", None),
    ("08:00 UTC", "08:00", "UTC"), ("19:30:15", "19:30:15", None),
])
def test_times_as_people_type_them_and_their_zone_label(cell, time, zone):
    result = read(f"date;time;accounts;text\n2026-12-07;{cell};kspi_x;Halo\n")
    assert result.errors == []
    assert [(r.time, r.zone) for r in result.rows] == [(time, zone)]


def test_status_column_drafts_cancelled_and_bad_values():
    data = ("date,time,accounts,text,status\n"
            "2026-12-07,09:00,kspi_x,Satu,Siap\n"
            "2026-12-07,10:00,kspi_x,Dua,rancangan\n"
            "2026-12-07,11:00,kspi_x,Tiga,DRAFT\n"
            "bukan tanggal,xx,kspi_x,Empat,batal\n"
            "2026-12-07,12:00,kspi_x,Lima,Dibatalkan\n"
            "2026-12-07,13:00,kspi_x,Enam,\n"
            "2026-12-07,14:00,kspi_x,Tujuh,nanti\n"
            ",,,,cancelled\n")
    result = read(data)
    assert [(r.text, r.status) for r in result.rows] == [("Satu", None), ("Dua", "draft"), ("Tiga", "draft"),
                                                         ("Enam", None)]
    assert result.cancelled == 3
    assert result.errors == [RowError(8, "unknown status 'nanti' — use draft/rancangan, siap/ready or "
                                         "batal/cancelled (empty: ready)")]


def test_notes_column_is_accepted_and_ignored():
    data = ("date,time,accounts,text,Catatan,link\n"
            ",,,,Minggu pertama,\n"
            "2026-12-01,08:00,kspi_x,Halo,cek ke ketua dulu,\n"
            ",,,,,https://kspi.or.id\n")
    result = read(data)
    assert result.rows == [CalendarRow("2026-12-01", "08:00", ["kspi_x"], "Halo", line=3)]
    assert result.errors == [RowError(4, "empty date, time, accounts and text cells — every row needs date, time, accounts and text")]


def test_duplicate_column():
    result = read("date,time,accounts,text,teks\n")
    assert result.errors == [RowError(1, "columns 'text' and 'teks' are both the text column — keep one")]


def test_not_utf8_names_the_line():
    data = "date,time,accounts,text\n2026-12-01,08:00,kspi_x,Kopi di café\n".encode("cp1252")
    result = read_calendar(data)
    assert result.rows == []
    assert result.errors == [RowError(2, 'the file is not UTF-8 (byte 0xE9 on line 2) — save it as "CSV UTF-8" '
                                         "(Excel: Save As → CSV UTF-8; LibreOffice: character set Unicode (UTF-8))")]


def test_utf16_file_is_refused_clearly():
    result = read("date,time,accounts,text\n", encoding="utf-16")
    assert result.errors == [RowError(1, 'the file is UTF-16, not UTF-8 — save it as "CSV UTF-8" '
                                         "(Excel: Save As → CSV UTF-8 (Comma delimited))")]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n  \n"])
def test_empty_file(data):
    assert read_calendar(data).errors == [
        RowError(1, "the file is empty — the first line must be the header, e.g. date,time,accounts,text,link,campaign,media")]


def test_str_input_is_a_type_error():
    with pytest.raises(TypeError, match="binary mode"):
        read_calendar("date,time,accounts,text\n")


def test_broken_quotes_are_reported_and_reading_goes_on():
    data = ('date,time,accounts,text\n'
            '2026-12-01,08:00,kspi_x,"Tolak" Tapera\n'
            '2026-12-02,08:00,kspi_x,Baik\n')
    result = read(data)
    assert [r.text for r in result.rows] == ["Baik"]
    assert len(result.errors) == 1
    assert result.errors[0].line == 2
    assert result.errors[0].message.startswith("cannot read this record: ")
    assert result.errors[0].message.endswith(" — check the double quotes around the text")


def test_unclosed_quote_at_end_of_file():
    result = read('date,time,accounts,text\n2026-12-01,08:00,kspi_x,Baik\n2026-12-02,08:00,kspi_x,"Tidak ditutup\nlagi\n')
    assert [r.text for r in result.rows] == ["Baik"]
    assert [e.line for e in result.errors] == [3]
    assert "cannot read this record" in result.errors[0].message


# --- writing ------------------------------------------------------------------------------------

ROWS = [
    CalendarRow("2026-12-01", "08:00", ["kspi_x", "kspi_masto"], f"{TEXT}\n\nBaris, kedua \"kutipan\" ✊🏽",
                "https://kspi.or.id/tapera?utm=1,2", "tolak-tapera", ["poster final.jpg", "aksi,2.png"]),
    CalendarRow("2026-12-02", "19:30", ["fspmi_bsky"], "Café NFD: cafe\u0301; titik-koma"),
    CalendarRow("2026-12-03", "06:05", ["kspi_tg"], "=1+1 bukan rumus"),
]


def test_write_then_read_round_trips_through_a_file(tmp_path):
    path = tmp_path / "kalender.csv"
    write_calendar(ROWS, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfdate,time,accounts,text,link,campaign,media\r\n")
    result = read_calendar(raw)
    assert result.errors == []
    assert result.rows == ROWS
    assert [r.line for r in result.rows] == [2, 5, 6]


def test_write_to_binary_and_text_streams():
    binary = io.BytesIO()
    write_calendar(ROWS, binary)
    assert not binary.closed
    assert read_calendar(binary.getvalue()).rows == ROWS
    text = io.StringIO()
    write_calendar(ROWS[1:2], text)
    assert text.getvalue() == (
        "date,time,accounts,text,link,campaign,media\r\n"
        "2026-12-02,19:30,fspmi_bsky,Café NFD: cafe\u0301; titik-koma,,,\r\n")


def test_write_to_files_opened_in_either_mode(tmp_path):
    with open(tmp_path / "b.csv", "wb") as f:
        write_calendar(ROWS, f)
    with open(tmp_path / "t.csv", "w", encoding="utf-8", newline="") as f:
        write_calendar(ROWS, f)
    assert (tmp_path / "b.csv").read_bytes() == b"\xef\xbb\xbf" + (tmp_path / "t.csv").read_bytes()
    assert read_calendar((tmp_path / "t.csv").read_bytes()).rows == ROWS


def test_export_import_of_many_rows_is_exact(tmp_path):
    rows = [CalendarRow(f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", f"{i % 24:02d}:{i % 60:02d}",
                        ["kspi_x"] if i % 2 else ["kspi_x", "kspi_masto"],
                        f"Pesan {i}, upah layak" + ("\nbaris dua" if i % 3 == 0 else ""),
                        f"https://kspi.or.id/{i}" if i % 5 == 0 else None, "upah" if i % 4 else None,
                        [f"gambar{i}.jpg"] if i % 7 == 0 else [])
            for i in range(3000)]
    path = tmp_path / "besar.csv"
    write_calendar(rows, path)
    result = read_calendar(path.read_bytes())
    assert result.errors == []
    assert result.rows == rows
    assert result.rows[-1].line == 1 + 3000 + 1000  # header + rows + the extra lines of 1000 texts


def test_header_problems_are_one_error_about_the_header():
    result = read("tangal,jam,akun,teks,text,prioritas\n2026-12-01,08:00,kspi_x,Halo,Halo,1\n")
    assert (result.rows, result.fatal) == ([], "header")
    assert result.errors == [RowError(1, "missing column date in the header; unknown columns 'tangal' (did you mean "
                                         "'tanggal'?), 'prioritas'; columns 'teks' and 'text' are both the text column "
                                         f"— accepted names: {ACCEPTED}; keep one of each doubled column")]


@pytest.mark.parametrize("data, example", [("2026-12-05,09:00,kspi_x,teks\n", "date,time,accounts,text,link,campaign,media"),
                                           ("05/12/2026;09.00;kspi_x;teks\n", "date;time;accounts;text;link;campaign;media")])
def test_a_file_without_header_says_so(data, example):
    result = read(data)
    assert result.fatal == "header"
    data_cells = "'2026-12-05', '09:00'" if "," in data else "'05/12/2026', '09.00'"
    assert result.errors == [RowError(1, f"this line holds data ({data_cells}), not column names — add a line naming "
                                         f"the columns above it, e.g. {example}; accepted names: {ACCEPTED}")]


def test_whole_file_problems_are_marked_fatal():
    assert read("").fatal == "file"
    assert read("date,time,accounts,text\n", encoding="utf-16").fatal == "file"
    assert read_calendar("date,time,accounts,text\nCafé\n".encode("cp1252")).fatal == "file"
    assert read("sep=;\n").errors == [RowError(2, "there is no header line after the 'sep=' line — the next line "
                                                   "must name the columns, e.g. date,time,accounts,text,link,campaign,media")]
    assert read("date,time,accounts,text\n2026-12-01,25:00,kspi_x,Halo\n").fatal is None  # a row's problem
