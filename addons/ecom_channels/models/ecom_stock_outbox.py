# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL

from ..ecom_channels_core.stock_sync import backoff_seconds


class EcomStockOutbox(models.Model):
    """The stock outbox: one row per published listing whose quantity may have changed.

    Rows are only ever inserted by the transactions that change stock (a plain INSERT in the same
    transaction: it never waits for a running push, and it becomes visible together with the
    stock change it announces), and deleted by the push once the channel accepted a quantity
    computed in a snapshot that contains the change. A change committed while a push runs is
    invisible to that push, so its row stays and the listing is pushed again.
    """

    _name = "ecom.stock.outbox"
    _description = "Channel Stock Outbox"
    _order = "id"
    _log_access = False

    listing_id = fields.Many2one(
        "ecom.channel.listing", required=True, index=True, ondelete="cascade"
    )
    channel_id = fields.Many2one("ecom.channel", required=True, index=True, ondelete="cascade")
    product_id = fields.Many2one(related="listing_id.product_id")
    company_id = fields.Many2one(related="channel_id.company_id")
    date = fields.Datetime("Queued On", required=True, default=fields.Datetime.now)
    attempts = fields.Integer(
        "Failed Attempts", help="Pushes of this change the channel refused so far."
    )
    next_attempt = fields.Datetime(
        index=True,
        help="After a refusal, the change waits until then before it is sent again (backoff).",
    )
    feed_id = fields.Many2one(
        "ecom.stock.feed",
        "In Feed",
        index="btree_not_null",
        ondelete="set null",
        help="The quantity was submitted in this feed, which the channel is still processing: "
        "the change leaves the outbox once the feed's results say the channel accepted it.",
    )

    @api.model
    def _enqueue_products(self, product_ids):
        """Queue the published listings of these products on active channels (one INSERT).

        Return the number of rows queued."""
        if not product_ids:
            return 0
        return self._enqueue(SQL("l.product_id = ANY(%s)", list(product_ids)))

    @api.model
    def _enqueue_listings(self, listing_ids):
        """Queue these listings (published ones, on active channels); return the rows queued."""
        if not listing_ids:
            return 0
        return self._enqueue(SQL("l.id = ANY(%s)", list(listing_ids)))

    @api.model
    def _enqueue(self, where):
        self.env["ecom.channel.listing"].flush_model(["product_id", "channel_id", "state"])
        self.env["ecom.channel"].flush_model(["active"])
        self.env.cr.execute(
            SQL(
                """INSERT INTO ecom_stock_outbox (listing_id, channel_id, date, attempts)
                   SELECT l.id, l.channel_id, now() AT TIME ZONE 'UTC', 0
                     FROM ecom_channel_listing l
                     JOIN ecom_channel c ON c.id = l.channel_id AND c.active
                    WHERE %s AND l.state = 'published'
                 ORDER BY l.id""",
                where,
            )
        )
        queued = self.env.cr.rowcount
        self._invalidate_flags()
        return queued

    @api.model
    def _forget(self, ids):
        """Delete these rows: the change they announced reached the channel."""
        if ids:
            self.env.cr.execute(SQL("DELETE FROM ecom_stock_outbox WHERE id = ANY(%s)", list(ids)))
            self._invalidate_flags()

    @api.model
    def _attach_feed(self, ids, feed):
        """These changes were submitted in ``feed``: they wait for its results."""
        if ids:
            self.env.cr.execute(
                SQL("UPDATE ecom_stock_outbox SET feed_id = %s WHERE id = ANY(%s)", feed.id, ids)
            )
            self._invalidate_flags()

    @api.model
    def _detach_feed(self, feed):
        """The results of ``feed`` were read: its changes are plain queued changes again (the
        caller then forgets or retries them). Return ``{listing id: [outbox ids]}``."""
        self.env.cr.execute(
            SQL(
                "UPDATE ecom_stock_outbox SET feed_id = NULL WHERE feed_id = %s"
                " RETURNING listing_id, id",
                feed.id,
            )
        )
        events = {}
        for listing_id, row_id in self.env.cr.fetchall():
            events.setdefault(listing_id, []).append(row_id)
        self._invalidate_flags()
        return events

    @api.model
    def _retry_later(self, ids):
        """The channel refused these changes: count the attempt, wait before the next one."""
        if not ids:
            return
        self.env.cr.execute(
            SQL("SELECT id, attempts FROM ecom_stock_outbox WHERE id = ANY(%s)", list(ids))
        )
        by_attempts = {}
        for row_id, attempts in self.env.cr.fetchall():
            by_attempts.setdefault(attempts + 1, []).append(row_id)
        now = fields.Datetime.now()
        for attempts, row_ids in by_attempts.items():
            self.env.cr.execute(
                SQL(
                    "UPDATE ecom_stock_outbox SET attempts = %s, next_attempt = %s"
                    " WHERE id = ANY(%s)",
                    attempts,
                    fields.Datetime.add(now, seconds=backoff_seconds(attempts)),
                    row_ids,
                )
            )
        self.invalidate_model(["attempts", "next_attempt"])
        self._invalidate_flags()

    def _invalidate_flags(self):
        """The rows changed in SQL: forget what the ORM computed from them."""
        self.invalidate_model()
        self.env["ecom.channel.listing"].invalidate_model(["stock_pending"])
        self.env["ecom.channel"].invalidate_model(["stock_pending_count"])
