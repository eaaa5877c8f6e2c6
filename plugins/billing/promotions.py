"""Promotions (the FAQ: "premier mois gratuit, rabais de 20 % sur les premiers 6 mois"): the
system admin defines them and makes them available to resellers; a reseller asks for one; the
system admin activates it; an active promotion applies to the reseller's subscribers created
while it is active, for its months, counted from the day billing starts (after a free trial).

At one reseller: AVAILABLE -> REQUESTED -> ACTIVE -> ENDED (and ENDED -> REQUESTED again).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    RESELLER_SIDE,
    Account,
    BillingStatus,
    Principal,
    Problem,
    Text,
    accounts_visible,
)

from . import errors as e
from . import inputs
from .errors import BillingErrorCode as Code
from .models import (
    AccountPromotion,
    Promotion,
    PromotionKind,
    ResellerPromotion,
    ResellerPromotionStatus,
)
from .offer import reseller_for, reseller_side, settings_of
from .pricing import add_months

Status = ResellerPromotionStatus
# Who may move a reseller's promotion to which state, from which.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.REQUESTED: (Status.AVAILABLE, Status.ENDED),  # the reseller asks
    Status.ACTIVE: (Status.REQUESTED, Status.AVAILABLE),  # the system admin activates
    Status.ENDED: (Status.ACTIVE, Status.REQUESTED),  # either ends it or withdraws the request
}


def promotions_visible(principal: Principal | None) -> QuerySet[Promotion]:
    if inputs.is_system_admin(principal):
        return Promotion.all()
    if principal is not None and principal.role in RESELLER_SIDE:
        return Promotion.filter(id__in=Subquery(ResellerPromotion.filter(
            reseller_id=principal.reseller_id or -1).values("promotion_id")))
    return Promotion.filter(id=-1)


def account_promotions_visible(principal: Principal | None) -> QuerySet[AccountPromotion]:
    """The promotions of the accounts the caller may see."""
    return AccountPromotion.filter(
        account_id__in=Subquery(accounts_visible(principal).values("id")))


def reseller_promotions_visible(principal: Principal | None) -> QuerySet[ResellerPromotion]:
    if inputs.is_system_admin(principal):
        return ResellerPromotion.all()
    if reseller_side(principal):
        assert principal is not None
        return ResellerPromotion.filter(reseller_id=principal.reseller_id or -1)
    return ResellerPromotion.filter(id=-1)


async def create_promotion(principal: Principal | None, *, code: str, name_fr: str,
                           name_en: str, kind: PromotionKind, months: int,
                           percent: Decimal | None = None, amount: Decimal | None = None,
                           currency: str | None = None) -> Promotion:
    """A promotion (system admin): FREE_MONTHS, PERCENT_OFF (percent) or AMOUNT_OFF (amount
    and currency, taken off each month)."""
    if not inputs.is_system_admin(principal):
        raise Problem(Code.NOT_FOUND, e.PROMOTION_NOT_FOUND, ["input"])
    kind = PromotionKind(kind)
    values: dict[str, Any] = {
        "code": inputs.code(code, ["input", "code"]), "kind": kind,
        "name_fr": inputs.name(name_fr, ["input", "nameFr"]),
        "name_en": inputs.name(name_en, ["input", "nameEn"]),
        "months": inputs.months(months, ["input", "months"]),
    }
    if kind == PromotionKind.PERCENT_OFF:
        if percent is None:
            raise Problem(Code.REQUIRED, _needs("percent"), ["input", "percent"])
        values["percent"] = inputs.percent(percent, ["input", "percent"])
    if kind == PromotionKind.AMOUNT_OFF:
        if amount is None:
            raise Problem(Code.REQUIRED, _needs("amount"), ["input", "amount"])
        if currency is None:
            raise Problem(Code.REQUIRED, _needs("currency"), ["input", "currency"])
        values["amount"] = inputs.amount(amount, ["input", "amount"])
        values["currency"] = inputs.currency(currency, ["input", "currency"])
    try:
        if await Promotion.filter(code=values["code"]).exists():
            raise IntegrityError("code taken")
        return await Promotion.create(**values)
    except IntegrityError:
        raise Problem(Code.DUPLICATE, e.CODE_TAKEN, ["input", "code"],
                      item_code=values["code"]) from None


def _needs(field: str) -> Text:
    return Text(en=e.PROMOTION_FIELDS.en.replace("{field}", field),
                fr=e.PROMOTION_FIELDS.fr.replace("{field}", field))


async def promotion_for(principal: Principal | None, promotion_id: int) -> Promotion:
    promotion = await promotions_visible(principal).filter(id=promotion_id).first()
    if promotion is None:
        raise Problem(Code.NOT_FOUND, e.PROMOTION_NOT_FOUND, ["input", "promotionId"])
    return promotion


async def make_available(principal: Principal | None, promotion_id: int,
                         reseller_id: int) -> ResellerPromotion:
    """The system admin offers a promotion to a reseller (idempotent). An amount off must be
    in the reseller's currency."""
    if not inputs.is_system_admin(principal):
        raise Problem(Code.NOT_FOUND, e.PROMOTION_NOT_FOUND, ["input", "promotionId"])
    promotion = await promotion_for(principal, promotion_id)
    reseller = await reseller_for(principal, reseller_id)
    if promotion.retired_at is not None:
        raise Problem(Code.RETIRED, e.ITEM_RETIRED, ["input", "promotionId"])
    currency = (await settings_of(reseller.id)).currency
    if promotion.kind == PromotionKind.AMOUNT_OFF and promotion.currency != currency:
        raise Problem(Code.CURRENCY_MISMATCH, e.CURRENCY_MISMATCH, ["input", "promotionId"],
                      item=promotion.currency, reseller=currency)
    row, _ = await ResellerPromotion.get_or_create(reseller_id=reseller.id,
                                                   promotion_id=promotion.id)
    return row


async def reseller_promotion_for(principal: Principal | None,
                                 reseller_promotion_id: int) -> ResellerPromotion:
    row = await reseller_promotions_visible(principal).filter(id=reseller_promotion_id).first()
    if row is None:
        raise Problem(Code.NOT_FOUND, e.PROMOTION_NOT_FOUND, ["input", "id"])
    return row


def _label(status: Status) -> Text:
    return e.PROMOTION_STATUS_LABELS[status.value]


async def move(principal: Principal | None, reseller_promotion_id: int,
               wanted: Status) -> ResellerPromotion:
    """A reseller asks for (REQUESTED) or withdraws its request / ends (ENDED) one of its
    promotions; the system admin activates (ACTIVE) or ends (ENDED) any."""
    row = await reseller_promotion_for(principal, reseller_promotion_id)
    wanted = Status(wanted)
    admin = inputs.is_system_admin(principal)
    if wanted == Status.ACTIVE and not admin:
        raise Problem(Code.NOT_FOUND, e.PROMOTION_NOT_FOUND, ["input", "id"])
    current = Status(row.status)
    if current not in TRANSITIONS.get(wanted, ()):
        text = Text(en=e.PROMOTION_TRANSITION.en.format(current=_label(current).en,
                                                        wanted=_label(wanted).en),
                    fr=e.PROMOTION_TRANSITION.fr.format(current=_label(current).fr,
                                                        wanted=_label(wanted).fr))
        raise Problem(Code.TRANSITION_NOT_ALLOWED, text, ["input", "status"])
    now = dt.datetime.now(dt.UTC)
    stamp = {Status.REQUESTED: "requested_at", Status.ACTIVE: "activated_at",
             Status.ENDED: "ended_at"}[wanted]
    async with in_transaction():
        # Only from the state read above: two admins moving it at once cannot both win.
        if not await ResellerPromotion.filter(id=row.id, status=current).update(
                status=wanted, **{stamp: now}):
            raise Problem(Code.TRANSITION_NOT_ALLOWED, e.PROMOTION_TRANSITION, ["input",
                                                                                  "status"],
                          current=current.value, wanted=wanted.value)
    await row.refresh_from_db()
    return row


def billing_starts_on(account: Account) -> dt.date:
    """The day billing starts: the trial's end for an account in free trial, else today."""
    if account.billing_status == BillingStatus.FREE_TRIAL and account.trial_ends_at:
        return account.trial_ends_at.date()
    created = account.created_at or dt.datetime.now(dt.UTC)
    return created.date()


async def apply_active(account: Account) -> list[AccountPromotion]:
    """A new subscriber gets every promotion active at its reseller at that moment (called in
    the sign-up's transaction through ``gateway_account_created``)."""
    active = await ResellerPromotion.filter(reseller_id=account.reseller_id,
                                            status=Status.ACTIVE).values_list(
        "promotion_id", flat=True)
    if not active:
        return []
    start = billing_starts_on(account)
    out = []
    for promotion in await Promotion.filter(id__in=list(active), retired_at__isnull=True):
        row, _ = await AccountPromotion.get_or_create(
            account_id=account.id, promotion_id=promotion.id,
            defaults={"starts_on": start, "ends_on": add_months(start, promotion.months)})
        out.append(row)
    return out


async def account_promotions(account_id: int) -> list[tuple[AccountPromotion, Promotion]]:
    rows = await AccountPromotion.filter(account_id=account_id).order_by("id")
    promotions = {p.id: p for p in await Promotion.filter(
        id__in=[r.promotion_id for r in rows])}
    return [(row, promotions[row.promotion_id]) for row in rows]


async def retire(principal: Principal | None, promotion_id: int) -> Promotion:
    promotion = await promotion_for(principal, promotion_id)
    if not inputs.is_system_admin(principal):
        raise Problem(Code.NOT_FOUND, e.PROMOTION_NOT_FOUND, ["input", "promotionId"])
    if promotion.retired_at is None:
        promotion.retired_at = dt.datetime.now(dt.UTC)
        await promotion.save(update_fields=["retired_at"])
        await ResellerPromotion.filter(promotion_id=promotion.id, status=Status.ACTIVE).update(
            status=Status.ENDED, ended_at=promotion.retired_at)
    return promotion
