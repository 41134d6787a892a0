"""Errors raised by the channel clients: one exception type with a message for the sync log."""

from .redact import excerpt, redact


class ChannelError(Exception):
    """A channel call failed.

    ``message`` is plain words for the sync log, already stripped of secrets. ``retryable`` says
    whether trying again later can succeed (rate limit, server error, timeout); ``status`` is the
    HTTP status when there was a response; ``code`` the channel's own error code when it gave one;
    ``retry_after`` the delay in seconds the channel asked for; ``payload`` a redacted excerpt of
    the response body.
    """

    def __init__(
        self,
        message,
        *,
        status=None,
        retryable=False,
        code=None,
        retry_after=None,
        payload=None,
        secrets=(),
    ):
        self.message = redact(message, secrets)
        self.status = status
        self.retryable = retryable
        self.code = code
        self.retry_after = retry_after
        # redacted in full first, then cut (no piece of a secret left at the cut)
        self.payload = excerpt(payload, 2000, tuple(secrets)) if payload else ""
        super().__init__(self.message)

    def __str__(self):
        return self.message


class MissingFieldsError(ChannelError):
    """The listing lacks data the channel requires; nothing was sent."""

    def __init__(self, missing, sku=""):
        self.missing = list(missing)
        what = "Listing %s" % sku if sku else "The listing"
        super().__init__("%s cannot be published: %s" % (what, "; ".join(self.missing)))
