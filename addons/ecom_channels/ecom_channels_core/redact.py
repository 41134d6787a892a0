"""Remove secrets from text before it is stored in a sync log or written to the server log."""

import re

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


def redact(text, secrets=()):
    """Return ``text`` with every known secret value and every secret-looking field masked.

    ``secrets`` are the literal values to remove wherever they appear (a channel's key, secret
    and token); values shorter than four characters are not searched for, as they would mask
    ordinary words. ``None`` gives an empty string.
    """
    if text is None:
        return ""
    text = str(text)
    for secret in sorted(
        {s for s in secrets if s and len(s) >= _MIN_SECRET_LEN}, key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return text


def excerpt(text, limit=4000):
    """Cut ``text`` to ``limit`` characters, saying how much was left out."""
    text = text or ""
    if len(text) <= limit:
        return text
    return "%s\n[... %d more characters]" % (text[:limit], len(text) - limit)
