"""An account's subscription ("Gérer les forfaits d'un abonné"): items of its reseller's offer
only, with quantities and the dates each starts and ends.

Staff change it; a company admin or professional may change their own when the reseller allows
self-service. During "Essai gratuit" no option, device or fee can be added (the clients
plugin's guard, reused); an unsubscribed account's subscription is frozen. A change applies
from a date (today or later): lines that change end that day, new ones start that day, so the
cycle prorates each by day. The sign-up wizard's "Abonnement" step picks from the offer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    STAFF,
    Account,
    AccountKind,
    BillingStatus,
    PluginHost,
    Principal,
    Problem,
    Role,
    Text,
    account_for,
    accounts_visible,
)
from plugins.clients.api import ensure_can_add_numbers_and_options

from . import errors as e
from . import inputs
from .errors import BillingErrorCode as Code
from .models import CatalogueItem, ItemKind, OfferItem, Subscription
from .offer import selling_items, settings_of

log = logging.getLogger(__name__)

MAX_LINES = 100
SELF_SERVICE_ROLES = (Role.COMPANY_ADMIN, Role.PROFESSIONAL)
LINE_COLUMNS = ("id", "account_id", "offer_item_id", "quantity", "starts_on", "ends_on",
                "created_at")


@dataclass(frozen=True)
class LineInput:
    offer_item_id: int
    quantity: int = 1


def lines_visible(principal: Principal | None) -> QuerySet[Subscription]:
    """The subscription lines of the accounts the caller may see."""
    return Subscription.filter(account_id__in=Subquery(accounts_visible(principal).values("id")))


def in_force(query: QuerySet[Subscription], day: dt.date) -> QuerySet[Subscription]:
    return query.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day), starts_on__lte=day)


async def lines_on(account_id: int, day: dt.date) -> list[Subscription]:
    return await in_force(Subscription.filter(account_id=account_id), day).order_by("id")


async def _check_caller(principal: Principal | None, account: Account,
                        host: PluginHost | None) -> None:
    """Staff (including staff working inside the account) may change it; the account's own
    company admin or professional when the reseller allows self-service; nobody else."""
    if principal is None:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "accountId"])
    if principal.role in STAFF or principal.direct_access:
        return
    if principal.role not in SELF_SERVICE_ROLES or principal.account_id != account.id:
        raise Problem(Code.SELF_SERVICE_DISABLED, e.SELF_SERVICE_DISABLED, ["input"])
    if not (await settings_of(account.reseller_id)).self_service:
        raise Problem(Code.SELF_SERVICE_DISABLED, e.SELF_SERVICE_DISABLED, ["input"])
    refusal = await management_restriction(account, host)
    if refusal is not None:
        raise Problem(Code.MANAGED_BY_PROVIDER, refusal, ["input"])


async def management_restriction(account: Account, host: PluginHost | None) -> Text | None:
    """Why the reseller's "Restrictions de gestion du compte" forbid the account's own users to
    change its plans, or None: a professional account "géré par l'administrateur", a company
    whose reseller chose "Interdire la gestion des utilisateurs". The plugin keeping those flags
    (account settings) answers the core's ``gateway_account_management_restricted`` hook;
    without it there is no restriction."""
    if host is None:
        return None
    if not any(await host.call_async("gateway_account_management_restricted", account=account)):
        return None
    return e.ADMIN_MANAGED if account.kind == AccountKind.PROFESSIONAL else e.MANAGEMENT_FORBIDDEN


async def _trial_guard(account: Account, field: list[str | int]) -> None:
    """The clients plugin's free-trial guard, its refusal given this area's code and field."""
    try:
        await ensure_can_add_numbers_and_options(account)
    except Problem as problem:
        code = (Code.ACCOUNT_UNSUBSCRIBED if problem.code_name == "ACCOUNT_UNSUBSCRIBED"
                else Code.FREE_TRIAL_RESTRICTION)
        raise Problem(code, problem.text, field, **problem.values) from None


async def set_subscription(principal: Principal | None, account_id: int,
                           lines: Sequence[LineInput], *,
                           effective_from: dt.date | None = None,
                           now: dt.date | None = None,
                           host: PluginHost | None = None) -> list[Subscription]:
    """Make the account's subscription, from ``effective_from`` (today by default), exactly
    ``lines``: what is unchanged keeps running, what changes or goes ends that day, what is new
    starts that day. Returns the lines in force that day. ``host`` asks the plugins whether
    the account's management restrictions refuse its own users' change."""
    account = await account_for(principal, account_id)
    await _check_caller(principal, account, host)
    if account.billing_status == BillingStatus.UNSUBSCRIBED:
        await _trial_guard(account, ["input", "accountId"])
    inputs.capped(list(lines), ["input", "lines"], MAX_LINES)
    day = inputs.from_today(effective_from, ["input", "effectiveFrom"], now)
    wanted: dict[int, int] = {}
    for i, line in enumerate(lines):
        field: list[str | int] = ["input", "lines", i]
        inputs.quantity(line.quantity, [*field, "quantity"])
        if line.offer_item_id in wanted:
            raise Problem(Code.DUPLICATE, e.OFFER_ITEM_NOT_FOUND, [*field, "offerItemId"])
        wanted[line.offer_item_id] = line.quantity
    current = await lines_on(account.id, day)
    running = {line.offer_item_id: line for line in current}
    await _check_lines(account, lines, running)
    async with in_transaction():
        # Changes planned after this day are replaced by this one.
        await Subscription.filter(account_id=account.id, starts_on__gt=day).delete()
        for running_line in current:
            if wanted.get(running_line.offer_item_id) == running_line.quantity:
                continue
            if running_line.starts_on == day:
                await Subscription.filter(id=running_line.id).delete()
            else:
                await Subscription.filter(id=running_line.id).update(ends_on=day)
        for offer_item_id, quantity in wanted.items():
            before = running.get(offer_item_id)
            if before is not None and before.quantity == quantity:
                continue
            await Subscription.create(account_id=account.id, offer_item_id=offer_item_id,
                                      quantity=quantity, starts_on=day,
                                      created_by_id=_person(principal))
    return await lines_on(account.id, day)


async def _check_lines(account: Account, lines: Sequence[LineInput],
                       running: Mapping[int, Subscription]) -> None:
    """Items of the account's reseller only; a new line must be sold today; one plan at most;
    no option, device or fee added (or increased) during a free trial."""
    offers = {o.id: o for o in await OfferItem.filter(
        id__in=[line.offer_item_id for line in lines], reseller_id=account.reseller_id)}
    items = {i.id: i for i in await CatalogueItem.filter(
        id__in=[o.item_id for o in offers.values()])}
    plans = 0
    for i, line in enumerate(lines):
        field: list[str | int] = ["input", "lines", i, "offerItemId"]
        offer = offers.get(line.offer_item_id)
        if offer is None:
            raise Problem(Code.NOT_FOUND, e.OFFER_ITEM_NOT_FOUND, field)
        item = items[offer.item_id]
        before = running.get(offer.id)
        if before is None and (not offer.available or not offer.selling
                               or item.retired_at is not None):
            raise Problem(Code.NOT_IN_OFFER, e.NOT_SELLING, field, item_code=item.code)
        if item.kind == ItemKind.PLAN:
            plans += 1
            if plans > 1:
                raise Problem(Code.INVALID, e.ONE_PLAN, field)
        elif before is None or line.quantity > before.quantity:
            await _trial_guard(account, ["input", "lines", i])


def _person(principal: Principal | None) -> int | None:
    if principal is None:
        return None
    return principal.real_user_id or principal.user_id


async def end_all(account_id: int, day: dt.date) -> None:
    """Unsubscribed: every line ends ``day`` (billing stops that day)."""
    await Subscription.filter(account_id=account_id, starts_on__gte=day).delete()
    await in_force(Subscription.filter(account_id=account_id), day).update(ends_on=day)


# --- The sign-up wizard's "Abonnement" step ------------------------------------------------

def _codes(subscription: Mapping[str, Any]) -> list[tuple[list[str | int], str, int, str]]:
    """(field, code, quantity, expected kind) of each choice of the step."""
    out: list[tuple[list[str | int], str, int, str]] = []
    if subscription.get("plan"):
        out.append((["plan"], str(subscription["plan"]), 1, ItemKind.PLAN))
    for i, option in enumerate(subscription.get("options") or []):
        out.append((["options", i], str(option), 1, ItemKind.OPTION))
    for i, device in enumerate(subscription.get("devices") or []):
        out.append((["devices", i, "model"], str(device.get("model") or ""),
                    int(device.get("quantity") or 1), ItemKind.DEVICE))
    return out


async def check_signup_choice(reseller_id: int, subscription: Mapping[str, Any]) -> None:
    """The sign-up's subscription step names items the reseller sells, by code: the plan a
    plan, options options (or service fees), devices devices. Codes ``INVALID`` (the clients
    area's). A reseller with no offer at all (billing not set up for it) keeps free text."""
    selling = {item.code: item for _, item in await selling_items(reseller_id)}
    if not selling and not await OfferItem.filter(reseller_id=reseller_id).exists():
        return  # billing not set up for this reseller yet: the step stays free text
    problems: list[Problem] = []
    for field, code, _, kind in _codes(subscription):
        item = selling.get(code.strip().upper())
        path: list[str | int] = ["input", "subscription", *field]
        if item is None:
            problems.append(Problem("INVALID", e.NOT_SELLING, path, item_code=code))
        elif item.kind != kind and not (kind == ItemKind.OPTION
                                        and item.kind == ItemKind.SERVICE_FEE):
            problems.append(Problem("INVALID", _kind_text(kind), path, item_code=code))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        from gateway.api import Problems

        raise Problems(problems)


async def signup_offer(reseller_id: int, language: str,
                       today: dt.date | None = None) -> list[dict[str, Any]]:
    """What the reseller sells today, for a public sign-up page (the ``signup_offer``
    provider): each item's code, name in ``language``, kind, recurrence, retail price and
    currency, plans first. Items not priced today are left out; an empty list when the reseller
    has no offer (the page then keeps free text)."""
    from .pricing import prices_on

    pairs = await selling_items(reseller_id)
    prices = await prices_on([offer.id for offer, _ in pairs],
                             today or dt.datetime.now(dt.UTC).date())
    order = list(ItemKind)
    out = []
    for offer, item in sorted(pairs, key=lambda p: (order.index(p[1].kind), p[1].code)):
        price = prices.get(offer.id)
        if price is None:
            continue
        out.append({"code": item.code, "name": item.name_fr if language == "fr" else item.name_en,
                    "kind": str(item.kind), "recurrence": str(price.recurrence),
                    "price": price.retail_price, "currency": price.currency})
    return out


def _kind_text(kind: str) -> Any:
    from gateway.api import Text

    label = e.KIND_LABELS[kind]
    return Text(en=e.WRONG_KIND.en.replace("{kind}", label.en),
                fr=e.WRONG_KIND.fr.replace("{kind}", label.fr))


async def subscribe_from_signup(account: Account, subscription: Mapping[str, Any],
                                day: dt.date) -> list[Subscription]:
    """The new account's lines from its sign-up choices (inside the sign-up's transaction).
    A code the reseller no longer sells is left out and logged."""
    selling = {item.code: offer for offer, item in await selling_items(account.reseller_id)}
    wanted: dict[int, int] = {}
    for _, code, quantity, _ in _codes(subscription):
        offer = selling.get(code.strip().upper())
        if offer is None:
            log.warning("sign-up of account %s: %r is not sold by its reseller", account.id,
                        code)
            continue
        wanted[offer.id] = wanted.get(offer.id, 0) + quantity
    return [await Subscription.create(account_id=account.id, offer_item_id=offer_id,
                                      quantity=min(quantity, inputs.MAX_QUANTITY),
                                      starts_on=day)
            for offer_id, quantity in wanted.items()]


async def on_account_created(account: Account) -> None:
    """``gateway_account_created`` (in the sign-up's transaction): the sign-up's choices become
    the account's subscription, from its first day, and the promotions active at its reseller
    apply to it."""
    from plugins.clients.api import signup_subscription

    from .promotions import apply_active

    choice = await signup_subscription(account.id)
    if choice:
        created = account.created_at or dt.datetime.now(dt.UTC)
        await subscribe_from_signup(account, choice, created.date())
    await apply_active(account)
