# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.tools import SQL

from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.stock_sync import backoff_seconds
from .ecom_channel import CONCURRENCY_ERRORS, FEED_CHECK_DELAY, FEED_GIVE_UP
from .ecom_sync_log import OP_PUSH_STOCK

_logger = logging.getLogger(__name__)


class EcomStockFeed(models.Model):
    """Quantities submitted to a channel that processes them later (an Amazon listings feed).

    The push submits the feed and commits: no transaction waits for the channel. The outbox
    rows of the quantities point at the feed meanwhile (their listings are not pushed again
    until its results are known); a later run of the push job, woken up when ``next_check`` is
    reached, reads the results once: the accepted quantities become the published ones, the
    refused ones are queued again with a backoff. The feed record is then deleted.
    """

    _name = "ecom.stock.feed"
    _description = "Channel Quantity Feed"
    _order = "id"

    name = fields.Char("Feed ID", required=True, readonly=True, help="The channel's feed id.")
    channel_id = fields.Many2one(
        "ecom.channel", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="channel_id.company_id")
    items = fields.Json(
        readonly=True, help="The quantities submitted, in order: [key, quantity, listing id]."
    )
    item_count = fields.Integer("Quantities", readonly=True)
    submit_date = fields.Datetime(
        "Submitted On", required=True, readonly=True, default=fields.Datetime.now
    )
    next_check = fields.Datetime(
        "Results Read At", required=True, readonly=True, index=True, default=fields.Datetime.now
    )
    checks = fields.Integer("Reads So Far", readonly=True)
    outbox_ids = fields.One2many("ecom.stock.outbox", "feed_id", "Queued Changes")

    @api.model
    def _submitted(self, channel, feed_ref, items, by_key):
        """Record the feed ``feed_ref`` of ``channel`` that carries ``items`` ((key, quantity)
        pairs of the listings ``by_key``), and wake the push job up when its results are due."""
        next_check = fields.Datetime.add(fields.Datetime.now(), seconds=FEED_CHECK_DELAY)
        feed = self.create(
            {
                "name": str(feed_ref),
                "channel_id": channel.id,
                "items": [[key, qty, by_key[key].id] for key, qty in items],
                "item_count": len(items),
                "next_check": next_check,
            }
        )
        channel._ecom_push_stock_later(eta=next_check)
        return feed

    @api.model
    def _claim_due(self, channel):
        """Lock the feeds of ``channel`` whose results are due, skipping those another worker
        is reading."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM ecom_stock_feed
                    WHERE channel_id = %s AND next_check <= %s
                 ORDER BY id
                      FOR UPDATE SKIP LOCKED""",
                channel.id,
                fields.Datetime.now(),
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _check_results(self):
        """Read the results of these feeds (of one channel, locked by the caller), each in its
        own savepoint, and apply the ones that are ready. Return the counts ``sent``,
        ``failed`` and the ``problems``."""
        counts = {"sent": 0, "failed": 0, "problems": []}
        if not self:
            return counts
        channel = self.channel_id.ensure_one()
        try:
            client = channel._get_client()
        except ChannelError as exc:
            self._check_later(exc)
            return counts
        with client:
            for feed in self:
                try:
                    with self.env.cr.savepoint():
                        applied = feed._check_one(client)
                except CONCURRENCY_ERRORS:
                    raise
                except Exception as exc:  # noqa: BLE001 - recorded, the other feeds go on
                    if not isinstance(exc, ChannelError):
                        _logger.exception("reading the results of feed %s failed", feed.name)
                        exc = channel._unexpected_error(exc)
                    if exc.retryable:
                        feed._check_later(exc)
                    else:
                        applied = feed._give_up(exc.message, exc.payload)
                        counts["failed"] += applied["failed"]
                        counts["problems"] += applied["problems"]
                    continue
                for key in ("sent", "failed"):
                    counts[key] += applied[key]
                counts["problems"] += applied["problems"]
        return counts

    def _items(self):
        self.ensure_one()
        return [(key, qty) for key, qty, _listing_id in self.items or []]

    def _check_one(self, client):
        """Read this feed's results once: apply them when ready, else check again later."""
        self.ensure_one()
        channel = self.channel_id
        results = client.quantity_results(self.name, self._items())
        if results is None:
            if fields.Datetime.now() - self.submit_date > FEED_GIVE_UP:
                return self._give_up(
                    self.env._(
                        "The channel has still not processed feed %(feed)s after %(hours)s hours.",
                        feed=self.name,
                        hours=round(FEED_GIVE_UP.total_seconds() / 3600, 1),
                    )
                )
            self._check_later()
            return {"sent": 0, "failed": 0, "problems": []}
        Listing = self.env["ecom.channel.listing"]
        by_key = {key: Listing.browse(listing_id) for key, _qty, listing_id in self.items or []}
        events = self.env["ecom.stock.outbox"].sudo()._detach_feed(self)
        for listing in by_key.values():
            events.setdefault(listing.id, [])
        dates = dict.fromkeys(events, self.submit_date)
        applied = (
            self.env["ecom.stock.outbox"]
            .sudo()
            ._push_apply(
                channel,
                results,
                by_key,
                {lid: (ids, dates[lid]) for lid, ids in events.items()},
            )
        )
        logs = applied.pop("logs")
        logs.append(
            self.env["ecom.sync.log"]._vals(
                channel,
                OP_PUSH_STOCK,
                "error" if applied["failed"] else "ok",
                self.env._(
                    "Feed %(feed)s processed: %(sent)s quantities accepted, %(failed)s refused.",
                    feed=self.name,
                    sent=applied["sent"],
                    failed=applied["failed"],
                ),
            )
        )
        self.env["ecom.sync.log"]._create_logs(logs)
        self.unlink()
        return applied

    def _check_later(self, error=None):
        """The results are not ready (or could not be read): read them again later, and wake
        the push job up then."""
        for feed in self:
            checks = feed.checks + 1
            delay = FEED_CHECK_DELAY if error is None else backoff_seconds(checks)
            if getattr(error, "retry_after", None) is not None:
                delay = max(error.retry_after, feed.channel_id._ecom_min_retry_seconds())
            next_check = fields.Datetime.add(fields.Datetime.now(), seconds=delay)
            feed.write({"checks": checks, "next_check": next_check})
            feed.channel_id._ecom_push_stock_later(eta=next_check)
            if error is not None:
                self.env["ecom.sync.log"]._log(
                    feed.channel_id,
                    OP_PUSH_STOCK,
                    "warning",
                    self.env._(
                        "The results of feed %(feed)s could not be read (%(error)s); read "
                        "again at %(when)s.",
                        feed=feed.name,
                        error=error.message,
                        when=next_check,
                    ),
                    payload=error.payload,
                )

    def _give_up(self, message, payload=None):
        """No results will come for this feed: its quantities are queued again (with a
        backoff), the failure is written on the listings and in the sync log."""
        self.ensure_one()
        channel = self.channel_id
        Outbox = self.env["ecom.stock.outbox"].sudo()
        events = Outbox._detach_feed(self)
        Outbox._retry_later([i for ids in events.values() for i in ids])
        listings = self.env["ecom.channel.listing"].browse(list(events)).exists()
        count = self.item_count
        text = self.env._(
            "Feed %(feed)s: %(error)s Its %(count)s quantities are queued again.",
            feed=self.name,
            error=message,
            count=count,
        )
        listings.write({"last_error": text})
        self.env["ecom.sync.log"]._log(channel, OP_PUSH_STOCK, "error", text, payload=payload)
        self.unlink()
        return {"sent": 0, "failed": count, "problems": [text]}
