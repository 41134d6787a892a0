"""Remove secrets from text before it is stored in a sync log or written to the server log.

Always redact the whole text first, then cut it (``excerpt`` does both in that order): a cut
made first could leave the start of a secret that no longer matches in full. Pieces of a secret
left at an edge anyway (text cut by someone else, a secret split over two lines) are masked too:
four or more leading characters of a secret at the end of the text or of a line, four or more
trailing characters at the start.
"""

import json
import re
from urllib.parse import quote, quote_plus

MASK = "***"

# Header and field names whose values are secrets whatever the channel.
_SECRET_KEYS = (
    "access_token",
    "refresh_token",
    "client_secret",
    "consumer_secret",
    "consumer_key",
    "api_key",
    "apikey",
    "password",
    "authorization",
    "x-shopify-access-token",
    "x-amz-access-token",
    "x-ebay-api-iaf-token",
    "ebayauthtoken",
)
_KEYS = "|".join(re.escape(k) for k in _SECRET_KEYS)
# "key": "value" (JSON), key=value (query strings, forms), Key: value (headers),
# <Key>value</Key> (XML).
_PATTERNS = (
    re.compile(r'(?i)("(?:%s)"\s*:\s*")([^"]*)(")' % _KEYS),
    re.compile(r"(?i)(\b(?:%s)=)([^&\s]+)()" % _KEYS),
    re.compile(r"(?im)(^\s*(?:%s)\s*:\s*)(.+?)(\s*)$" % _KEYS),
    re.compile(r"(?i)(<(?:%s)>)([^<]*)(</)" % _KEYS),
)
_MIN_SECRET_LEN = 4
#: Shortest piece of a secret masked at an edge.
MIN_PARTIAL = 4


def _variants(secrets):
    """Each secret as it may appear in a body: literal, URL-encoded, JSON-escaped."""
    values = set()
    for secret in secrets:
        if not secret:
            continue
        secret = str(secret)
        for value in (secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]):
            if len(value) >= _MIN_SECRET_LEN:
                values.add(value)
    return sorted(values, key=len, reverse=True)


def _mask_edges(text, values):
    """Mask a leading piece of a secret at the end of ``text`` and a trailing piece at its
    start (``MIN_PARTIAL`` characters or more)."""
    for value in values:
        for size in range(len(value) - 1, MIN_PARTIAL - 1, -1):
            if text.endswith(value[:size]):
                text = text[: len(text) - size] + MASK
                break
        for size in range(len(value) - 1, MIN_PARTIAL - 1, -1):
            if text.startswith(value[-size:]):
                text = MASK + text[size:]
                break
    return text


def mask_partial(text, secrets=()):
    """Mask the pieces of ``secrets`` left at the edges of ``text`` and of each of its lines."""
    values = _variants(secrets)
    if not text or not values:
        return text or ""
    lines = text.split("\n")
    return "\n".join(_mask_edges(line, values) for line in lines)


def redact(text, secrets=()):
    """Return ``text`` with every known secret value and every secret-looking field masked.

    ``secrets`` are the literal values to remove wherever they appear (a channel's key, secret
    and token), also URL-encoded or JSON-escaped, and their pieces at the edges of the text or
    of a line; values shorter than four characters are not searched for, as they would mask
    ordinary words. ``None`` gives an empty string.
    """
    if text is None:
        return ""
    text = str(text)
    values = _variants(s for s in secrets if s and len(str(s)) >= _MIN_SECRET_LEN)
    for value in values:
        text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    if values:
        text = "\n".join(_mask_edges(line, values) for line in text.split("\n"))
    return text


def excerpt(text, limit=4000, secrets=None, note=True):
    """Cut ``text`` to ``limit`` characters, saying how much was left out (unless ``note`` is
    false). With ``secrets`` (a list, even empty), the text is redacted first, then cut, then a
    piece of a secret left at the cut is masked."""
    text = "" if text is None else str(text)
    beyond = 0
    if secrets is not None:
        # Only the start can be shown: redact a window long enough to hold any secret that
        # begins within the limit (large bodies are not scanned in full).
        longest = max((len(v) for v in _variants(secrets)), default=0)
        window = limit + longest + 64
        if len(text) > window:
            beyond = len(text) - window
            text = text[:window]
        text = redact(text, secrets)
    if len(text) <= limit and not beyond:
        return text
    cut = text[:limit]
    if secrets is not None:
        cut = mask_partial(cut, secrets)
    if not note:
        return cut
    return "%s\n[... %d more characters]" % (cut, len(text) - len(cut) + beyond)
