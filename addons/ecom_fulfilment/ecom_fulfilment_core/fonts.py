"""Fonts of the PDF labels and packing slips.

Text that the Windows-1252 encoding of the PDF standard fonts can carry (English, French,
German, Danish...) is set in Helvetica, which every PDF reader has: nothing is embedded, so a
one-page label stays a 2 KB file that is quick to make and to merge. Any other text (Polish
"Łukasz Żółć", Greek, Cyrillic...) is set in DejaVu Sans, a TrueType font with those scripts,
embedded as a subset of the characters used. DejaVu Sans is the Debian package
``fonts-dejavu-core`` (a dependency of fontconfig, so nearly always there); it is looked for in
the usual font folders, then asked of fontconfig.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .parcels import CarrierError

REGULAR_FILE = "DejaVuSans.ttf"
BOLD_FILE = "DejaVuSans-Bold.ttf"
#: Where Linux distributions (and macOS with fonts installed by hand) keep DejaVu Sans.
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-fonts",  # Fedora
    "/usr/share/fonts/dejavu",  # Fedora (older), Alpine
    "/usr/share/fonts/TTF",  # Arch
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
    "/usr/local/share/fonts/dejavu",  # FreeBSD
    os.path.expanduser("~/.local/share/fonts"),
    os.path.expanduser("~/.fonts"),
    os.path.expanduser("~/Library/Fonts"),
    "/Library/Fonts",
)
#: The encoding of reportlab's standard fonts (PDF WinAnsiEncoding).
STANDARD_ENCODING = "cp1252"


class FontMissing(CarrierError):
    """DejaVu Sans is not installed: nothing outside Windows-1252 can be printed."""


@dataclass(frozen=True)
class FontPair:
    regular: str
    bold: str
    embedded: bool


STANDARD = FontPair("Helvetica", "Helvetica-Bold", embedded=False)


def fits_standard_fonts(*texts):
    """Whether Helvetica can print every character of ``texts``."""
    try:
        for text in texts:
            if text:
                text.encode(STANDARD_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _fontconfig_file(pattern):
    if not shutil.which("fc-match"):
        return None
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{file}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return found or None


def find_font_file(filename, dirs=FONT_DIRS):
    """The path of the font file ``filename`` in ``dirs`` (or where fontconfig has it)."""
    for folder in dirs:
        path = os.path.join(folder, filename)
        if os.path.isfile(path):
            return path
    # fontconfig answers with its closest match, which may be another font: check the name
    found = _fontconfig_file(":file=%s" % filename) or _fontconfig_file(
        "DejaVu Sans:style=%s" % ("Bold" if "Bold" in filename else "Book")
    )
    if found and os.path.basename(found) == filename and os.path.isfile(found):
        return found
    return None


@cache
def unicode_fonts():
    """DejaVu Sans (regular and bold), registered with reportlab once per process."""
    paths = {name: find_font_file(name) for name in (REGULAR_FILE, BOLD_FILE)}
    missing = [name for name, path in paths.items() if not path]
    if missing:
        raise FontMissing(
            "The font DejaVu Sans (%s) is not installed: labels and packing slips with "
            "characters outside Western European ones (Polish, Greek, Cyrillic...) cannot be "
            "printed. Install it (Debian/Ubuntu package fonts-dejavu-core) and restart the "
            "server. Looked in %s and asked fontconfig."
            % (", ".join(missing), ", ".join(FONT_DIRS))
        )
    pair = FontPair("EcomDejaVuSans", "EcomDejaVuSans-Bold", embedded=True)
    # asciiReadable=False: a subset holds the characters used, not all of ASCII besides
    pdfmetrics.registerFont(TTFont(pair.regular, paths[REGULAR_FILE], asciiReadable=False))
    pdfmetrics.registerFont(TTFont(pair.bold, paths[BOLD_FILE], asciiReadable=False))
    return pair


def fonts_for(*texts):
    """Helvetica when it can print ``texts``, DejaVu Sans otherwise."""
    return STANDARD if fits_standard_fonts(*texts) else unicode_fonts()
