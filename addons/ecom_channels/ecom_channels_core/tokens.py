"""OAuth token lifecycles of the channels: one mechanism for every channel type.

A channel type that needs one declares a ``TokenFlow`` (how its token endpoint authenticates the
app: ``basic`` is eBay's HTTP Basic ``App ID:Cert ID``, ``body`` is Login with Amazon's
``client_id``/``client_secret`` form fields). The client then:

- refreshes before a call when its access token is missing or expires within ``TOKEN_MARGIN``
  seconds (``ChannelClient.ensure_token``);
- refreshes once and retries once when a call is answered "token expired/invalid";
- hands every refresh to a ``token_store`` when it has one (the ORM side: it stores the new
  token in a transaction of its own, and lets two workers share one refresh), and
- raises ReconnectNeeded (never retryable) when the token endpoint refuses the refresh token
  (``invalid_grant``) or the app credentials (``invalid_client``): nothing else is sent until an
  administrator connects the channel again.
"""

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from .errors import ChannelError

#: A token that expires within this many seconds is refreshed before a call.
TOKEN_MARGIN = 300
#: OAuth errors of a token endpoint that no retry can cure: the seller must connect again.
RECONNECT_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


class ReconnectNeeded(ChannelError):
    """The channel refused the refresh token (or the app credentials): it has to be connected
    again (the *Connect* wizard). Never retryable; ``reason`` says what the channel answered."""

    def __init__(self, message, reason="", **kwargs):
        kwargs.setdefault("code", "reconnect_needed")
        super().__init__(message, retryable=False, **kwargs)
        self.reason = self.message if not reason else reason


@dataclass
class TokenFlow:
    """How one channel type gets its access tokens.

    ``auth``: ``basic`` (app credentials as HTTP Basic, eBay) or ``body`` (``client_id`` and
    ``client_secret`` in the form, Login with Amazon). ``default_url``: the token endpoint of
    the live service; ``service``: the key of ``endpoints.ALLOWED_HOSTS`` its URL must pass;
    ``scope``: scopes sent with a refresh (space separated; eBay requires them).
    ``consent_url``: where the seller grants the app access (the Connect wizard links there);
    ``consent_app_param``: the name the app's id goes under there; ``consent_redirect``: whether
    the link names where to send the seller back (eBay's RuName, with the scopes and a code
    asked for: the authorization code grant); ``consent_params``: fixed parameters.
    """

    auth: str
    default_url: str
    service: str
    scope: str = ""
    consent_url: str = ""
    consent_app_param: str = "client_id"
    consent_redirect: bool = False
    consent_params: tuple = ()

    def consent_link(self, app_id, redirect="", scope=""):
        """The address where the seller grants the app ``app_id`` access; empty when this
        flow has none or lacks what it needs (the app's id; the redirect when it takes one).
        ``scope``: the scopes asked for (default: this flow's)."""
        if not (self.consent_url and app_id):
            return ""
        query = {self.consent_app_param: app_id}
        if self.consent_redirect:
            if not redirect:
                return ""
            query.update(redirect_uri=redirect, response_type="code", scope=scope or self.scope)
        query.update(self.consent_params)
        return "%s?%s" % (self.consent_url, urlencode(query))


@dataclass
class TokenGrant:
    """What a token endpoint answered: the access token, when it expires (naive UTC), and the
    refresh token when it sent one (a new one replaces the old; empty: keep the old)."""

    access_token: str
    expires_at: datetime | None = None
    refresh_token: str = ""


def expiring(expires_at, now=None, margin=TOKEN_MARGIN):
    """Whether a token expiring at ``expires_at`` (naive UTC; None: unknown) must be refreshed
    now. An unknown expiry is trusted until the channel refuses the token."""
    if expires_at is None:
        return False
    return expires_at <= (now or utcnow()) + timedelta(seconds=margin)


def _oauth_error(response):
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    description = body.get("error_description") or body.get("message") or ""
    return (error if isinstance(error, str) else ""), str(description)


def request_token(transport, flow, token_url, client_id, client_secret, form, *, label, now=None):
    """POST ``form`` to ``token_url`` as ``flow`` says and return the TokenGrant.

    Raises ReconnectNeeded when the endpoint refuses the grant or the client, ChannelError for
    any other failure (retryable when trying later may help)."""
    if not token_url:
        raise ChannelError("%s: the channel has no token URL" % label)
    if not (client_id and client_secret):
        raise ReconnectNeeded(
            "%s: the app credentials (API key and secret) are needed to get an access token"
            % label,
            reason="app credentials missing",
        )
    form = dict(form)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if flow.auth == "basic":
        pair = ("%s:%s" % (client_id, client_secret)).encode("utf-8")
        headers["Authorization"] = "Basic %s" % base64.b64encode(pair).decode("ascii")
    else:
        form.update(client_id=client_id, client_secret=client_secret)
    secrets = [client_secret, form.get("refresh_token"), form.get("code")]
    if flow.auth == "basic":
        secrets.append(headers["Authorization"].split(" ", 1)[1])
    started = now or utcnow()

    def parse(response):
        try:
            body = response.json()
            token = body["access_token"]
            expires_in = float(body.get("expires_in") or 0)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ChannelError(
                "%s: the token endpoint's answer cannot be read" % label,
                retryable=True,
                secrets=secrets,
            ) from None
        if not isinstance(token, str) or not token:
            raise ChannelError(
                "%s: the token endpoint answered no access token" % label,
                retryable=True,
                secrets=secrets,
            )
        refresh = body.get("refresh_token")
        return TokenGrant(
            access_token=token,
            expires_at=started + timedelta(seconds=expires_in) if expires_in > 0 else None,
            refresh_token=refresh if isinstance(refresh, str) else "",
        )

    extra = tuple(s for s in secrets if s)
    old = transport.secrets
    transport.secrets = tuple(old) + extra
    try:
        return transport.request(
            "POST",
            token_url,
            data=urlencode(form),
            headers=headers,
            idempotent=True,
            parse=parse,
            describe="the token refresh",
            error_message=lambda r: "%s %s" % _oauth_error(r),
        )
    except ReconnectNeeded:
        raise
    except ChannelError as exc:
        if exc.status in (400, 401):
            error, description = _oauth_error_of(exc)
            if error in RECONNECT_ERRORS or exc.status == 401:
                reason = error or "HTTP %d" % exc.status
                if description:
                    reason = "%s: %s" % (reason, description)
                raise ReconnectNeeded(
                    "%s: the channel refused the token refresh (%s); connect the channel again"
                    % (label, reason),
                    reason=reason,
                    status=exc.status,
                    secrets=extra,
                ) from None
        raise
    finally:
        transport.secrets = old


def _oauth_error_of(exc):
    """(error, description) of the redacted answer kept on a ChannelError."""
    try:
        body = json.loads(exc.payload or "")
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    return (error if isinstance(error, str) else ""), str(body.get("error_description") or "")


def refresh_grant(transport, flow, token_url, client_id, client_secret, refresh_token, *, label,
                  scope=None, now=None):  # fmt: skip
    """The refresh-token grant of ``flow``."""
    if not refresh_token:
        raise ReconnectNeeded(
            "%s: the channel has no refresh token; connect it to get one" % label,
            reason="no refresh token",
        )
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    scope = flow.scope if scope is None else scope
    if scope:
        form["scope"] = scope
    return request_token(
        transport, flow, token_url, client_id, client_secret, form, label=label, now=now
    )


def code_grant(transport, flow, token_url, client_id, client_secret, code, redirect_uri="", *,
               label, now=None):  # fmt: skip
    """The authorization-code grant of ``flow`` (the Connect wizard): the seller's consent code
    exchanged for an access token and a refresh token."""
    form = {"grant_type": "authorization_code", "code": code}
    if redirect_uri:
        form["redirect_uri"] = redirect_uri
    return request_token(
        transport, flow, token_url, client_id, client_secret, form, label=label, now=now
    )
