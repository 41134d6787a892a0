# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The stock sync, in one place: the outbox captures the changes in the stock transaction, the
push job of each channel claims them (the riskiest first), sends them, applies the channel's
answer and logs it."""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

from ..ecom_channels_core.errors import ChannelError
from ..ecom_channels_core.payloads import QuantityResult
from ..ecom_channels_core.stock_sync import (
    LATENCY_SAMPLES,
    SALES_WINDOW_DAYS,
    backoff_seconds,
    daily_sales,
    percentile,
    push_priority,
)
from .ecom_channel_listing import record_retries
from .ecom_sync_log import OP_PUSH_STOCK

_logger = logging.getLogger(__name__)

#: Items named one by one in a push's sync log line.
LOG_ITEMS = 50


class EcomStockOutbox(models.Model):
    """The stock outbox: one row per published listing whose quantity may have changed.

    Rows are only ever inserted by the transactions that change stock (a plain INSERT in the same
    transaction: it never waits for a running push, and it becomes visible together with the
    stock change it announces), and deleted by the push once the channel accepted a quantity
    computed in a snapshot that contains the change. A change committed while a push runs is
    invisible to that push, so its row stays and the listing is pushed again.

    Inserting rows enqueues the push job of their channels (``ecom.channel._job_push_stock``,
    one waiting job per channel thanks to its identity key): with a job runner, a change reaches
    the channel within seconds.
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
        help="After a refusal of this listing's quantity, the change waits until then before "
        "it is sent again (backoff).",
    )
    feed_id = fields.Many2one(
        "ecom.stock.feed",
        "In Feed",
        index="btree_not_null",
        ondelete="set null",
        help="The quantity was submitted in this feed, which the channel is still processing: "
        "the change leaves the outbox once the feed's results say the channel accepted it.",
    )

    # ------------------------------------------------------------------
    # Capture (in the stock transaction)
    # ------------------------------------------------------------------

    @api.model
    def _enqueue_products(self, product_ids):
        """Queue the published listings of these products on active channels (one INSERT) and
        wake their channels' push jobs. Return the number of rows queued."""
        if not product_ids:
            return 0
        return self._enqueue(SQL("l.product_id = ANY(%s)", list(product_ids)))

    @api.model
    def _enqueue_listings(self, listing_ids, wake=True):
        """Queue these listings (published ones, on active channels); return the rows queued.
        ``wake=False``: the caller pushes them itself (no job)."""
        if not listing_ids:
            return 0
        return self._enqueue(SQL("l.id = ANY(%s)", list(listing_ids)), wake=wake)

    @api.model
    def _enqueue(self, where, wake=True):
        self.env["ecom.channel.listing"].flush_model(["product_id", "channel_id", "state"])
        self.env["ecom.channel"].flush_model(["active"])
        self.env.cr.execute(
            SQL(
                """INSERT INTO ecom_stock_outbox (listing_id, channel_id, date, attempts)
                   SELECT l.id, l.channel_id, now() AT TIME ZONE 'UTC', 0
                     FROM ecom_channel_listing l
                     JOIN ecom_channel c ON c.id = l.channel_id AND c.active
                    WHERE %s AND l.state = 'published'
                 ORDER BY l.id
                RETURNING channel_id""",
                where,
            )
        )
        channel_ids = [row[0] for row in self.env.cr.fetchall()]
        self._invalidate_flags()
        if wake and channel_ids:
            self.env["ecom.channel"].sudo().browse(set(channel_ids))._ecom_push_stock_later()
        return len(channel_ids)

    # ------------------------------------------------------------------
    # Row bookkeeping
    # ------------------------------------------------------------------

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
        """The channel refused these items: count the attempt, wait before the next one (the
        other items of the channel go on meanwhile)."""
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
        self._invalidate_flags()

    @api.model
    def _wait_until(self, ids, when):
        """The channel could not take these items now (quota): send them at ``when``, without
        counting a refusal."""
        if ids:
            self.env.cr.execute(
                SQL(
                    "UPDATE ecom_stock_outbox SET next_attempt = %s WHERE id = ANY(%s)",
                    when,
                    list(ids),
                )
            )
            self._invalidate_flags()

    def _invalidate_flags(self):
        """The rows changed in SQL: forget what the ORM computed from them."""
        self.invalidate_model()
        self.env["ecom.channel.listing"].invalidate_model(["stock_pending"])
        self.env["ecom.channel"].invalidate_model(["stock_pending_count"])

    # ------------------------------------------------------------------
    # What waits
    # ------------------------------------------------------------------

    @api.model
    def _due_sql(self, channel_ids):
        """Rows of these channels due now: not in backoff, not in a feed the channel is
        processing, and whose listing has no quantity in such a feed."""
        return SQL(
            """o.channel_id = ANY(%s) AND o.feed_id IS NULL
               AND (o.next_attempt IS NULL OR o.next_attempt <= %s)
               AND NOT EXISTS (SELECT 1 FROM ecom_stock_outbox f
                                WHERE f.listing_id = o.listing_id AND f.feed_id IS NOT NULL)""",
            list(channel_ids),
            fields.Datetime.now(),
        )

    @api.model
    def _waiting_count(self, channels, exclude=()):
        """Listings of ``channels`` (but ``exclude``) with changes due now."""
        self.env.cr.execute(
            SQL(
                "SELECT count(DISTINCT o.listing_id) FROM ecom_stock_outbox o"
                " WHERE %s AND o.listing_id != ALL(%s)",
                self._due_sql(channels.ids),
                list(exclude),
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _next_due(self, channel):
        """When the next change of ``channel`` waiting for a backoff or a feed's results is
        due (None: nothing waits)."""
        self.env.cr.execute(
            SQL(
                """SELECT min(at) FROM (
                       SELECT min(next_attempt) AS at FROM ecom_stock_outbox
                        WHERE channel_id = %(id)s AND feed_id IS NULL AND next_attempt > %(now)s
                    UNION ALL
                       SELECT min(next_check) FROM ecom_stock_feed WHERE channel_id = %(id)s
                   ) AS due""",
                id=channel.id,
                now=fields.Datetime.now(),
            )
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Claim: the riskiest listings first
    # ------------------------------------------------------------------

    @api.model
    def _daily_sales(self, channel, product_ids):
        """Units sold a day per product from ``channel``'s warehouse (deliveries to customers
        over the last SALES_WINDOW_DAYS days: one grouped query)."""
        if not product_ids or not channel.warehouse_id:
            return {}
        self.env["stock.move"].flush_model(
            ["product_id", "product_qty", "state", "date", "location_id", "location_dest_id"]
        )
        since = fields.Datetime.subtract(fields.Datetime.now(), days=SALES_WINDOW_DAYS)
        self.env.cr.execute(
            SQL(
                """SELECT m.product_id, SUM(m.product_qty)
                     FROM stock_move m
                     JOIN stock_location src ON src.id = m.location_id
                     JOIN stock_location dst ON dst.id = m.location_dest_id
                    WHERE m.state = 'done' AND dst.usage = 'customer' AND m.date >= %s
                      AND m.product_id = ANY(%s) AND src.parent_path LIKE %s
                 GROUP BY m.product_id""",
                since,
                list(product_ids),
                channel.warehouse_id.sudo().view_location_id.parent_path + "%",
            )
        )
        return daily_sales(dict(self.env.cr.fetchall()))

    @api.model
    def _claim(self, channel, limit):
        """Lock up to ``limit`` listings of ``channel`` with changes due now, the riskiest
        first (``push_priority``: zero quantities, then the fewest days of cover, then the rest
        oldest first), skipping those another worker holds.

        Return ``(listings, events, busy)``: the listings in the order to send them, ``events``
        ``{listing id: ([outbox ids], first change date)}`` (only those rows are deleted after
        the push), and how many due listings another worker is pushing."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT o.listing_id, min(o.id) FROM ecom_stock_outbox o WHERE %s"
                " GROUP BY o.listing_id",
                self._due_sql([channel.id]),
            )
        )
        first = dict(cr.fetchall())
        Listing = self.env["ecom.channel.listing"]
        if not first:
            return Listing, {}, 0
        ordered = Listing.browse(sorted(first, key=first.get))
        gone = ordered.filtered(lambda lst: lst.state != "published")
        if gone:  # unpublished since the change was queued: nothing to send
            self._forget(self.search([("listing_id", "in", gone.ids)]).ids)
            ordered -= gone
        ordered = self._by_risk(channel, ordered, first)
        ids = ordered.ids[:limit]
        cr.execute(
            SQL(
                "SELECT id FROM ecom_channel_listing WHERE id = ANY(%s)"
                " ORDER BY id FOR NO KEY UPDATE SKIP LOCKED",
                ids,
            )
        )
        locked = {row[0] for row in cr.fetchall()}
        busy = len(ids) - len(locked)
        if not locked:
            return Listing, {}, busy
        cr.execute(
            SQL(
                "SELECT listing_id, array_agg(id), min(date) FROM ecom_stock_outbox"
                " WHERE listing_id = ANY(%s) AND feed_id IS NULL GROUP BY listing_id",
                list(locked),
            )
        )
        events = {listing_id: (row_ids, date) for listing_id, row_ids, date in cr.fetchall()}
        claimed = Listing.browse([i for i in ids if i in locked])
        return claimed, events, busy

    @api.model
    def _by_risk(self, channel, listings, first):
        """``listings`` sorted by ``push_priority`` (their quantities to publish computed in
        one go, the daily sales read in one grouped query)."""
        if not listings:
            return listings
        listings.invalidate_recordset(["qty_to_publish"])
        listings.mapped("qty_to_publish")
        sales = self._daily_sales(channel, set(listings.product_id.ids))

        def key(listing):
            shown = listing.qty_published if listing.qty_published_date else None
            daily = sales.get(listing.product_id.id, 0.0)
            return push_priority(listing.qty_to_publish, shown, daily, first.get(listing.id, 0))

        return listings.sorted(key)

    # ------------------------------------------------------------------
    # Push: claim, send, apply, log
    # ------------------------------------------------------------------

    @api.model
    def _push_channel(self, channel, limit):
        """Read the results of ``channel``'s feeds that are due, then claim and push up to
        ``limit`` listings. Return the counts ``sent``, ``failed``, ``unchanged``,
        ``submitted``, ``claimed``, ``busy``, ``checked`` (feeds read), the ``problems`` and,
        when the channel could not take anything, the ``channel_error`` (a ChannelError)."""
        counts = {"sent": 0, "failed": 0, "unchanged": 0, "submitted": 0, "problems": []}
        feeds = self.env["ecom.stock.feed"].sudo()._claim_due(channel)
        counts["checked"] = len(feeds)
        if feeds:
            feed_counts = feeds._check_results()
            for key in ("sent", "failed"):
                counts[key] += feed_counts[key]
            counts["problems"] += feed_counts["problems"]
        listings, events, busy = self._claim(channel, limit)
        counts.update(claimed=len(listings), busy=busy, channel_error=None)
        if listings:
            pushed = self._push(channel, listings, events)
            for key in ("sent", "failed", "unchanged", "submitted"):
                counts[key] += pushed[key]
            counts["problems"] += pushed["problems"]
            counts["channel_error"] = pushed["channel_error"]
        return counts

    @api.model
    def _push(self, channel, listings, events):
        """Send the quantities of ``listings`` of ``channel`` (claimed, in that order) that
        differ from the last ones the channel accepted, then apply and log its answer.

        Unchanged listings leave the outbox; a listing the channel refuses stays, retried after
        a backoff, with its error on the listing and a sync log line; items the channel could
        not take now (quota) wait for the delay it asked for. A channel that took nothing is
        returned as ``channel_error`` (the job retries it as a whole), its rows untouched. A
        channel that processes quantities later (Amazon feeds) gets them submitted: the rows
        wait, linked to the feed, for a later job to read the results (``ecom.stock.feed``).
        """
        Log = self.env["ecom.sync.log"]
        counts = {
            "sent": 0,
            "failed": 0,
            "unchanged": 0,
            "submitted": 0,
            "problems": [],
            "channel_error": None,
        }
        rows = {lid: ids for lid, (ids, _date) in events.items()}
        unchanged = listings.filtered(
            lambda lst: lst.qty_published_date and lst.qty_to_publish == lst.qty_published
        )
        self._forget([i for lst in unchanged for i in rows.get(lst.id, [])])
        counts["unchanged"] = len(unchanged)
        to_send = listings - unchanged
        by_key, twins = {}, to_send.browse()
        for listing in to_send:
            key = listing.external_ref or listing.default_code or ""
            if key and key in by_key:
                twins |= listing
            else:
                by_key[key] = listing
        no_key = by_key.pop("", to_send.browse())
        logs = []
        for bad, message in (
            (no_key, self.env._("The listing has no external reference and its product no SKU.")),
            (twins, self.env._("Another listing of this channel has the same reference.")),
        ):
            if not bad:
                continue
            bad.write({"last_error": message})
            logs += [Log._vals(listing, OP_PUSH_STOCK, "error", message) for listing in bad]
            counts["failed"] += len(bad)
            counts["problems"] += ["%s: %s" % (lst.display_name, message) for lst in bad]
            self._retry_later([i for lst in bad for i in rows.get(lst.id, [])])
        if not by_key:
            Log._create_logs(logs)
            return counts
        items = [(key, listing.qty_to_publish) for key, listing in by_key.items()]
        try:
            sent = self._push_send(channel, items)
        except ChannelError as exc:
            counts["failed"] += len(items)
            counts["channel_error"] = exc
            Log._create_logs(logs)
            return counts
        logs += [Log._vals(channel, OP_PUSH_STOCK, "warning", msg) for msg in sent["retries"]]
        if sent["feeds"] is not None:
            logs += self._push_submitted(channel, sent["feeds"], by_key, rows)
            counts["submitted"] = len(items)
            channel._stock_push_succeeded()
            Log._create_logs(logs)
            return counts
        applied = self._push_apply(channel, sent["results"], by_key, events)
        counts["sent"] += applied["sent"]
        counts["failed"] += applied["failed"]
        counts["channel_error"] = applied["channel_error"]
        counts["problems"] += applied["problems"]
        Log._create_logs(logs + applied["logs"])
        return counts

    @api.model
    def _push_send(self, channel, items):
        """Send ``items`` (``(key, quantity)`` pairs, in order) to ``channel``: as quantity
        updates (``results``: one QuantityResult each) or as feeds the channel processes later
        (``feeds``: ``[(feed ref, chunk)]``), with the ``retries`` the client made. Raise the
        ChannelError of a channel that cannot be reached at all."""
        with channel._get_client() as client, record_retries(client) as retries:
            if self._go_async(client, items):
                size = max(int(getattr(client, "feed_size", 0) or len(items)), 1)
                chunks = [items[i : i + size] for i in range(0, len(items), size)]
                feeds = [(client.submit_quantities(chunk), chunk) for chunk in chunks]
                return {"results": None, "feeds": feeds, "retries": retries}
            results = self._send_until_refused(client, items)
        return {"results": results, "feeds": None, "retries": retries}

    @api.model
    def _send_until_refused(self, client, items):
        """``client.set_quantities(items)`` one call's worth at a time, in order (the riskiest
        first), stopping at the first call the channel could not take at all (quota used, down):
        the items not sent yet get its answer without being sent, so that no call is spent on a
        channel that said no, and they wait for the delay it asked for."""
        size = max(int(getattr(client, "quantity_batch_size", 0) or len(items)), 1)
        results = []
        for start in range(0, len(items), size):
            answer = client.set_quantities(items[start : start + size])
            results += answer
            if answer and all(not r.ok and r.retryable for r in answer):
                stop = answer[0]
                results += [
                    QuantityResult(key, qty, False, stop.message, True, stop.retry_after)
                    for key, qty in items[start + size :]
                ]
                break
        return results

    @api.model
    def _go_async(self, client, items):
        """Whether these quantities go as a feed the channel processes later: a client that
        offers it (``async_quantities``), for more items than it sends one by one."""
        return bool(getattr(client, "async_quantities", False)) and len(items) > getattr(
            client, "feed_threshold", 0
        )

    @api.model
    def _push_submitted(self, channel, feeds, by_key, rows):
        """Record the feeds submitted: their rows wait for the results, read by a later job
        when due. Return the sync log values."""
        Feed = self.env["ecom.stock.feed"].sudo()
        logs = []
        for feed_ref, chunk in feeds:
            feed = Feed._submitted(channel, feed_ref, chunk, by_key)
            self._attach_feed(
                [i for key, _qty in chunk for i in rows.get(by_key[key].id, [])], feed
            )
            logs.append(
                self.env["ecom.sync.log"]._vals(
                    channel,
                    OP_PUSH_STOCK,
                    "ok",
                    self.env._(
                        "%(count)s quantities submitted as feed %(feed)s; the results are "
                        "read at %(when)s: %(items)s",
                        count=len(chunk),
                        feed=feed_ref,
                        when=feed.next_check,
                        items=self._items_text(chunk),
                    ),
                )
            )
        return logs

    @api.model
    def _push_apply(self, channel, results, by_key, events):
        """Record the channel's answer to quantities sent (QuantityResult list): accepted ones
        become the published quantity and leave the outbox (their latency measured); refused
        ones stay, with a backoff, their error on the listing and a sync log line; those the
        channel could not take now wait for the delay it asked for. A channel that took nothing
        and may later (down, throttling) is returned as ``channel_error``.

        Return ``{"sent", "failed", "problems", "logs", "channel_error"}``."""
        Log = self.env["ecom.sync.log"]
        Listing = self.env["ecom.channel.listing"]
        now = fields.Datetime.now()
        accepted, refused, later = {}, [], []
        answered = set()
        # one query: the claimed rows are locked, but a listing may have been deleted since
        alive = set(Listing.browse([lst.id for lst in by_key.values()]).exists().ids)
        for result in results:
            listing = by_key.get(result.key)
            if listing is None or listing.id not in alive or result.key in answered:
                continue
            answered.add(result.key)
            if result.ok:
                accepted.setdefault(result.quantity, []).append(listing)
            elif result.retryable:
                later.append((listing, result))
            else:
                refused.append((listing, result))
        for key, listing in by_key.items():
            if key not in answered and listing.id in alive:  # never left claimed and unanswered
                refused.append(
                    (
                        listing,
                        QuantityResult(
                            key,
                            listing.qty_to_publish,
                            False,
                            self.env._("The channel gave no answer for this quantity."),
                        ),
                    )
                )
        out = {"sent": 0, "failed": 0, "problems": [], "logs": [], "channel_error": None}
        if later and not accepted and not refused:
            # The channel took nothing and may later (down, throttling): the job retries it
            # as a whole, after the delay it asked for.
            error = max(later, key=lambda f: getattr(f[1], "retry_after", None) or 0)[1]
            out["failed"] = len(later)
            out["channel_error"] = ChannelError(
                error.message, retryable=True, retry_after=getattr(error, "retry_after", None)
            )
            return out
        done = Listing
        for quantity, listings in accepted.items():
            listings = Listing.concat(*listings)
            listings.write(
                {"qty_published": quantity, "qty_published_date": now, "last_error": False}
            )
            done |= listings
        self._forget([i for lst in done for i in events[lst.id][0]])
        channel._stock_push_succeeded([now - events[lst.id][1] for lst in done])
        out["sent"] = len(done)
        if done:
            pairs = [(lst.external_ref or lst.default_code, lst.qty_published) for lst in done]
            out["logs"].append(
                Log._vals(
                    channel,
                    OP_PUSH_STOCK,
                    "ok",
                    self.env._(
                        "%(count)s quantities accepted: %(items)s",
                        count=len(done),
                        items=self._items_text(pairs),
                    ),
                )
            )
        if later:
            delay = max(
                [getattr(result, "retry_after", None) or 0 for _lst, result in later]
                + [channel._ecom_min_retry_seconds()]
            )
            when = fields.Datetime.add(now, seconds=delay)
            self._wait_until([i for lst, _r in later for i in events[lst.id][0]], when)
            message = self.env._(
                "%(count)s quantities wait for the channel's quota until %(when)s: %(items)s",
                count=len(later),
                when=when,
                items=self._items_text([(r.key, r.quantity) for _lst, r in later]),
            )
            out["logs"].append(Log._vals(channel, OP_PUSH_STOCK, "warning", message))
            out["problems"].append(message)
            out["failed"] += len(later)
        self._retry_later([i for lst, _result in refused for i in events[lst.id][0]])
        for listing, result in refused:
            message = self.env._(
                "%(key)s: quantity %(qty)s not accepted, kept in the outbox: %(error)s",
                key=result.key,
                qty=result.quantity,
                error=result.message,
            )
            listing.write({"last_error": message})
            out["problems"].append(message)
            out["logs"].append(Log._vals(listing, OP_PUSH_STOCK, "error", message))
        out["failed"] += len(refused)
        return out

    @api.model
    def _items_text(self, pairs):
        """``key=quantity`` of the first LOG_ITEMS items, for a sync log line."""
        text = ", ".join("%s=%s" % (key, qty) for key, qty in pairs[:LOG_ITEMS])
        if len(pairs) > LOG_ITEMS:
            text += " " + self.env._("and %(count)s more", count=len(pairs) - LOG_ITEMS)
        return text

    @api.model
    def _latency_p90(self, samples):
        """The p90 of latency ``samples`` (seconds), None without any."""
        return percentile(samples[-LATENCY_SAMPLES:], 0.9)
