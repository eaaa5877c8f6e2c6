"""Tables of the restrictions plugin (Tortoise app ``restrictions``).

Docstrings here become table comments: no quote, no semicolon.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.api import Account, Reseller, User


class RestrictionScope(StrEnum):
    SYSTEM = "SYSTEM"  # every account (system admin)
    RESELLER = "RESELLER"  # every account of one reseller
    ACCOUNT = "ACCOUNT"  # one account
    # One account, its own users' rules: only narrows what the levels above allow.
    SUBSCRIBER = "SUBSCRIBER"


class RestrictionAction(StrEnum):
    ALLOW = "ALLOW"
    DENY = "DENY"


class RestrictionTarget(StrEnum):
    COUNTRY = "COUNTRY"  # an ISO country, all its calling-code prefixes
    AREA_CODE = "AREA_CODE"  # a country and one of its area codes
    PREFIX = "PREFIX"  # any E.164 prefix (a destination)


class CallRestriction(Model):
    """A rule allowing or denying calls to a country, an area code or a destination prefix."""

    id = fields.IntField(primary_key=True)
    scope = fields.CharEnumField(RestrictionScope, max_length=10)
    # Null for SYSTEM rules. ACCOUNT and SUBSCRIBER rules carry their account reseller too, so
    # that every rule of a tenant is found by its reseller id.
    reseller: fields.ForeignKeyNullableRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, null=True, on_delete=fields.CASCADE)
    reseller_id: int | None
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, null=True, on_delete=fields.CASCADE)
    account_id: int | None
    action = fields.CharEnumField(RestrictionAction, max_length=5)
    target = fields.CharEnumField(RestrictionTarget, max_length=10)
    country = fields.CharField(max_length=2, null=True)
    area_code = fields.CharField(max_length=8, null=True)
    # E.164 digits without the plus: the area code rule calling code and area code, the
    # destination rule prefix. Null for a country rule (its prefixes come from phonenumbers).
    prefix = fields.CharField(max_length=15, null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "restrictions_rule"
        indexes = [Index(fields=("scope", "reseller_id", "id")),
                   Index(fields=("account_id", "id"))]


class CallRestrictionException(Model):
    """An exception lifting a system or reseller rule for one account only."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    restriction: fields.ForeignKeyRelation[CallRestriction] = fields.ForeignKeyField(
        "restrictions.CallRestriction", related_name=False, on_delete=fields.CASCADE)
    restriction_id: int
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "restrictions_exception"
        unique_together = (("account", "restriction"),)
        indexes = [Index(fields=("reseller_id", "id")), Index(fields=("restriction_id",))]


class RuleVersion(Model):
    """One row whose stamp changes in the transaction of every rule or exception change."""

    id = fields.IntField(primary_key=True)
    stamp = fields.CharField(max_length=32)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "restrictions_version"
