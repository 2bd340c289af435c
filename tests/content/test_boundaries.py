"""``content`` stays a leaf: standard library plus small text libraries, nothing of ours."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_content_modules_import_nothing_of_ours_or_heavy():
    code = (
        "import sys\n"
        "import content, content.length, content.media, content.threads, content.hashtags, "
        "content.slots, content.calendar_csv, content.platforms\n"
        "from content import check_length\n"
        "check_length('Upah layak https://kspi.or.id', 'x'); check_length('Upah', 'mastodon')\n"
        "import content.hashtags as h; h.append_hashtags('Upah', ['#Layak'], 'bluesky')\n"
        "bad = ('campaigner', 'connectors', 'scheduler', 'sqlalchemy', 'click', 'requests', "
        "'tweepy', 'apscheduler')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
