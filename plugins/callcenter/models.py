"""Call-center records (app ``callcenter``): calls and taken messages, per subscriber account.

A call keeps the platform's raw fields plus columns derived once at import (account-local
date, minute of day, weekday and week; hold and transfer totals), so every report filter and
metric is a plain column comparison the database does in one pass on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.api import Account


class Call(Model):
    """One call handled by the answering platform"""

    id = fields.BigIntField(primary_key=True)
    # The platform's call number, unique per reseller: another tenant's ids are neither
    # blocked nor revealed (issue 15); the importer upserts on (reseller_id, call_id).
    call_id = fields.CharField(max_length=64)
    reseller_id = fields.IntField()  # denormalised: tenancy filters without a join
    # No database constraint: checking it locked the account row once per inserted call,
    # a fifth of the import's database time. The importer only writes known accounts and the
    # plugin's gateway_account_purged removes an account's calls.
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.NO_ACTION, db_constraint=False
    )
    account_id: int
    billing_number = fields.CharField(max_length=20, default="")
    account_name = fields.CharField(max_length=200, default="")
    account_group = fields.IntField(null=True)
    distribution_group = fields.IntField(null=True)
    direction = fields.CharField(max_length=8)  # inbound / outbound
    started_at = fields.DatetimeField()
    duration = fields.FloatField(default=0)
    caller_id = fields.CharField(max_length=40, default="")
    caller_name = fields.CharField(max_length=200, default="")
    agent = fields.CharField(max_length=16, default="")
    station = fields.CharField(max_length=16, default="")
    queued_at = fields.FloatField(null=True)
    assigned_at = fields.FloatField(null=True)
    answered_at = fields.FloatField(null=True)
    agent_seconds = fields.FloatField(null=True)
    wrap_seconds = fields.FloatField(null=True)
    holds: fields.JSONField[list[float]] = fields.JSONField(default=list)
    transfers: fields.JSONField[list[float]] = fields.JSONField(default=list)
    busy = fields.BooleanField(default=False)
    quality = fields.IntField(null=True)
    recording = fields.CharField(max_length=500, null=True)
    # Derived at import, in the account's time zone.
    local_date = fields.DateField()
    local_week = fields.DateField()  # the Monday of local_date's week
    local_minute = fields.SmallIntField()  # minutes after local midnight
    local_weekday = fields.SmallIntField()  # 0 = Monday
    hold_max = fields.FloatField(default=0)
    hold_total = fields.FloatField(default=0)
    transfer_count = fields.SmallIntField(default=0)
    transfer_total = fields.FloatField(default=0)
    imported_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "callcenter_call"
        table_description = "Calls handled by the answering platform"
        # Every index costs the import about 4 us a row on PostgreSQL: two serve every report.
        # Day filters also bound started_at (a local day lies within -12 h / +14 h of UTC),
        # so per-account reports range over (account_id, started_at) and reseller-wide or
        # system-wide ones over (started_at).
        indexes = [
            Index(fields=("account_id", "started_at")),
            Index(fields=("started_at",)),
        ]
        unique_together = (("reseller_id", "call_id"),)


class TakenMessage(Model):
    """A message an agent took for the account, with its delivery history"""

    id = fields.BigIntField(primary_key=True)
    message_id = fields.CharField(max_length=64)  # unique per reseller, as call_id
    reseller_id = fields.IntField()
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE
    )
    account_id: int
    call_id = fields.CharField(max_length=64, default="")
    agent = fields.CharField(max_length=16, default="")
    taken_at = fields.DatetimeField()
    local_date = fields.DateField()
    body = fields.TextField(default="")
    history: fields.JSONField[list[dict[str, str]]] = fields.JSONField(default=list)  # {at, event}
    imported_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "callcenter_taken_message"
        table_description = "Messages taken by agents"
        indexes = [Index(fields=("account_id", "taken_at")),
                   Index(fields=("reseller_id", "taken_at"))]
        unique_together = (("reseller_id", "message_id"),)


class AccountInfoPage(Model):
    """The information pages agents read for an account, edited by its reseller"""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE
    )
    account_id: int
    title = fields.CharField(max_length=200)
    body = fields.TextField(default="")
    position = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "callcenter_account_info_page"
        table_description = "Account information pages read by agents"
        indexes = [Index(fields=("account_id", "position"))]


class LocalisedAccount(Model):
    """The time zone the stored local columns of an account were computed in

    The importer records the zone it used; when the account's zone differs (changed since),
    the relocalise job recomputes the local columns of its calls and taken messages.
    """

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "core.Account", related_name=False, on_delete=fields.CASCADE
    )
    account_id: int
    time_zone = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "callcenter_localised_account"
        table_description = "The time zone of the local columns of each account"


class BilledCycle(Model):
    """A billing cycle of an account whose billable calls are on a closed statement

    Written when the billing plugin closes a cycle (``gateway_billable_usage_billed``); the
    seed's "Appels facturables" lists only the calls of the account's billed cycles. One row
    per account and cycle, rather than a mark on each call: closing a cycle costs one row per
    account whatever the number of calls.
    """

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE
    )
    account_id: int
    first_day = fields.DateField()  # account-local days, both included
    last_day = fields.DateField()
    billed_at = fields.DatetimeField(auto_now_add=True)
    # What the close billed, by call id (ids never change, even when a call is imported again):
    # the calls of its days up to ``through_id``, and the late calls, those of the days from
    # ``late_from`` to the day before ``first_day`` with an id above ``after_id`` (the previous
    # close's ``through_id``) and up to ``through_id``. Null ``through_id``: every call of its
    # days, and no late call (rows written before late calls were billed).
    through_id = fields.BigIntField(null=True)
    after_id = fields.BigIntField(null=True)
    late_from = fields.DateField(null=True)

    class Meta:
        table = "callcenter_billed_cycle"
        table_description = "Billing cycles whose billable calls are on a closed statement"
        unique_together = (("account_id", "first_day"),)


class CallsChanged(Model):
    """Per reseller, a counter bumped each time its calls change (import, retention, purge,
    time zone recomputation): what the statistics' HTTP cache validators (ETags) are made of"""

    reseller_id = fields.IntField(primary_key=True, generated=False)
    version = fields.BigIntField(default=0)

    class Meta:
        table = "callcenter_calls_changed"
        table_description = "Per reseller, a counter bumped when its calls change"
