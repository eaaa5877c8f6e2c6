"""The billing cycle's rules, without the database: which days of a cycle are billed to whom,
and what each subscription, usage, promotion and tax comes to (issue 16).

A cycle runs from the close day (the 20th by default) to the day before the next one:
``Cycle(starts_on, ends_on)``, half-open, ``ends_on`` being the next close day. Every day of
it falls in one of three categories, from the account's billing status that day:

- ``CLIENT``: in production (and past a production trial's end): the client pays retail;
- ``RESELLER``: billing suspended: the client pays nothing, the reseller bears the cost
  (wholesale), numbers and usage included;
- ``NONE``: free trial, a production trial not over yet, unsubscribed (from that day), before
  the account existed: nobody is billed.

Test mode changes nothing here: it never stops billing (seed). Monthly charges are prorated by
day over the cycle's length; a plan's included usage is prorated by the days billed; amounts
are rounded to the cent once per line.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from operator import attrgetter
from typing import Any, TypeVar

from gateway.api import BillingStatus, Text

from .ledger_models import BilledParty, LineKind
from .models import ItemKind, PromotionKind, Recurrence

CENT = Decimal("0.01")
ZERO = Decimal(0)
UNIT_PLACES = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class Day(StrEnum):
    CLIENT = "CLIENT"
    RESELLER = "RESELLER"
    NONE = "NONE"


# ---- the cycle's dates ------------------------------------------------------------------------

def _close_day_of(year: int, month: int, close_day: int) -> dt.date:
    return dt.date(year, month, close_day)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


@dataclass(frozen=True)
class Cycle:
    """``starts_on`` (a close day, included) to ``ends_on`` (the next close day, excluded)."""

    starts_on: dt.date
    ends_on: dt.date

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days

    @property
    def last_day(self) -> dt.date:
        return self.ends_on - dt.timedelta(days=1)

    def each_day(self) -> list[dt.date]:
        return [self.starts_on + dt.timedelta(days=n) for n in range(self.days)]

    def next(self) -> Cycle:
        return Cycle(self.ends_on, _add_months(self.ends_on, 1))


def cycle_holding(day: dt.date, close_day: int = 20) -> Cycle:
    """The cycle ``day`` belongs to (20th to 19th by default)."""
    start = _close_day_of(day.year, day.month, close_day)
    if day < start:
        start = _add_months(start, -1)
    return Cycle(start, _add_months(start, 1))


def cycle_closing_on(day: dt.date, close_day: int = 20) -> Cycle:
    """The last cycle over on ``day``: closing on the 20th closes the 20th-to-19th before it."""
    end = cycle_holding(day, close_day).starts_on
    return Cycle(_add_months(end, -1), end)


# ---- which days are billed to whom ---------------------------------------------------------

def local_date(moment: dt.datetime | None, zone: Any) -> dt.date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).date()


@dataclass(frozen=True)
class AccountFacts:
    """What the cycle needs of an account (its dates already in its time zone)."""

    id: int
    reseller_id: int
    can: str
    name: str
    language: str
    status: str  # its billing status now
    created_on: dt.date
    trial_ends_on: dt.date | None  # a trial's end (the first day billed), if any
    unsubscribed_on: dt.date | None
    # (local day, status left or None, status entered), oldest first
    changes: tuple[tuple[dt.date, str | None, str], ...] = ()


def day_categories(account: AccountFacts, cycle: Cycle) -> list[Day]:
    """The category of each day of the cycle, from the status history prorated by day: a
    change on a day applies from that day."""
    changes = list(account.changes)
    if changes:
        first = changes[0]
        status = first[1] or first[2]
    else:
        status = account.status
    out = []
    index = 0
    for day in cycle.each_day():
        while index < len(changes) and changes[index][0] <= day:
            status = changes[index][2]
            index += 1
        out.append(_category(account, status, day))
    return out


def _category(account: AccountFacts, status: str, day: dt.date) -> Day:
    if day < account.created_on:
        return Day.NONE
    if account.unsubscribed_on is not None and day >= account.unsubscribed_on \
            and account.status == BillingStatus.UNSUBSCRIBED:
        return Day.NONE
    if status == BillingStatus.IN_PRODUCTION:
        if account.trial_ends_on is not None and day < account.trial_ends_on:
            return Day.NONE  # a production trial: billing starts at its end
        return Day.CLIENT
    if status == BillingStatus.BILLING_SUSPENDED:
        return Day.RESELLER
    return Day.NONE  # free trial, unsubscribed


def billed_ranges(days: Sequence[Day], cycle: Cycle) -> list[tuple[dt.date, dt.date, Day]]:
    """The runs of CLIENT or RESELLER days: (first day, last day, category), both included."""
    runs: list[tuple[dt.date, dt.date, Day]] = []
    start: int | None = None
    for n in range(len(days) + 1):
        current = days[n] if n < len(days) else Day.NONE
        if start is not None and (current != days[start]):
            runs.append((cycle.starts_on + dt.timedelta(days=start),
                         cycle.starts_on + dt.timedelta(days=n - 1), days[start]))
            start = None
        if start is None and current != Day.NONE:
            start = n
    return runs


# ---- prices ------------------------------------------------------------------------------------

V = TypeVar("V")


def version_on(versions: Sequence[V], day: dt.date,
               effective_from: Callable[[V], dt.date] = attrgetter("effective_from"),
               ) -> V | None:
    """The version in force on ``day``: the last of ``versions`` (oldest first) taking effect
    on or before it; None before the first. The one walk of price versions, for the cycle
    (``PriceVersion``), the close's reads and ``pricing`` (rows, with ``itemgetter``)."""
    index = bisect_right(versions, day, key=effective_from)
    return versions[index - 1] if index else None


@dataclass(frozen=True)
class PriceVersion:
    effective_from: dt.date
    retail: Decimal
    wholesale: Decimal
    included_units: int = 0
    retail_overage: Decimal = ZERO
    wholesale_overage: Decimal = ZERO


@dataclass(frozen=True)
class OfferedItem:
    """An item of a reseller's offer, with its price versions oldest first."""

    offer_item_id: int
    code: str
    kind: str
    recurrence: str
    name_fr: str
    name_en: str
    usage_key: str
    versions: tuple[PriceVersion, ...]

    def price_on(self, day: dt.date) -> PriceVersion:
        """The version in force on ``day`` (the first one before it: a line never costs
        nothing for starting before its item's first price)."""
        if not self.versions:
            return PriceVersion(day, ZERO, ZERO)
        return version_on(self.versions, day) or self.versions[0]


@dataclass(frozen=True)
class SubscriptionFacts:
    id: int
    offer_item_id: int
    quantity: int
    starts_on: dt.date
    ends_on: dt.date | None


@dataclass(frozen=True)
class PromotionFacts:
    code: str
    name_fr: str
    name_en: str
    kind: str
    percent: Decimal | None
    amount: Decimal | None
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True)
class TaxFacts:
    name: str
    rate: Decimal
    registration_number: str


@dataclass
class Line:
    kind: LineKind
    party: BilledParty
    code: str
    description: Text
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    wholesale: Decimal = ZERO
    days: int | None = None


@dataclass
class Draft:
    """A statement computed, not written yet (a preview, or what closing writes)."""

    account: AccountFacts
    cycle: Cycle
    currency: str
    reseller_bills_clients: bool
    lines: list[Line] = field(default_factory=list)
    previous_balance: Decimal = ZERO
    payments: Decimal = ZERO  # negative: received since the previous statement
    final: bool = False
    usage: dict[str, Decimal] = field(default_factory=dict)  # unit -> quantity billed days

    def _sum(self, kinds: Iterable[LineKind], party: BilledParty = BilledParty.CLIENT) -> Decimal:
        wanted = set(kinds)
        return sum((line.amount for line in self.lines
                    if line.kind in wanted and line.party == party), ZERO)

    @property
    def charges(self) -> Decimal:
        return self._sum(set(LineKind) - {LineKind.PROMOTION, LineKind.TAX})

    @property
    def discounts(self) -> Decimal:
        return -self._sum([LineKind.PROMOTION])

    @property
    def taxes(self) -> Decimal:
        return self._sum([LineKind.TAX])

    @property
    def total(self) -> Decimal:
        return self.charges - self.discounts + self.taxes

    @property
    def balance(self) -> Decimal:
        return self.previous_balance + self.payments + self.total

    @property
    def wholesale(self) -> Decimal:
        return sum((line.wholesale for line in self.lines), ZERO)


@dataclass
class _Sums:
    retail: Decimal = ZERO
    wholesale: Decimal = ZERO
    days: int = 0


def _days_text(days: int, total: int) -> Text:
    if days == total:
        return Text(en="", fr="")
    return Text(en=f" ({days} of {total} days)", fr=f" ({days} jours sur {total})")


_SUSPENDED = Text(en=" - billing suspended, borne by the reseller",
                  fr=" - facturation suspendue, à la charge du revendeur")


def _suspended(text: Text) -> Text:
    return Text(en=text.en + _SUSPENDED.en, fr=text.fr + _SUSPENDED.fr)


@dataclass
class _Rating:
    """What rating one account's subscriptions gathers before usage, promotions and taxes."""

    draft: Draft
    days: list[Day]
    promotions: Sequence[PromotionFacts]
    promo_base: dict[int, Decimal] = field(default_factory=dict)
    promo_days: dict[int, set[dt.date]] = field(default_factory=dict)
    included: dict[str, Decimal] = field(default_factory=dict)
    overage_item: dict[str, tuple[OfferedItem, PriceVersion]] = field(default_factory=dict)
    per_unit: dict[str, tuple[OfferedItem, PriceVersion]] = field(default_factory=dict)

    def monthly(self, sub: SubscriptionFacts, item: OfferedItem, first: dt.date,
                end: dt.date) -> None:
        """Prorated by day: each day billed costs the month's price over the cycle's days;
        computed per run of days alike (category, price version, promotions)."""
        cycle = self.draft.cycle
        quantity, total_days = Decimal(sub.quantity), Decimal(cycle.days)
        sums = {Day.CLIENT: _Sums(), Day.RESELLER: _Sums()}
        one = dt.timedelta(days=1)
        day = first
        while day < end:
            category = self.days[(day - cycle.starts_on).days]
            price = item.price_on(day)
            promos = self._promotions_on(day) if category == Day.CLIENT else ()
            stop = day + one
            while stop < end and self.days[(stop - cycle.starts_on).days] == category \
                    and item.price_on(stop) is price and (
                    not self.promotions or category != Day.CLIENT
                    or self._promotions_on(stop) == promos):
                stop += one
            count = (stop - day).days
            if category != Day.NONE:
                retail = price.retail * quantity * count / total_days
                part = sums[category]
                part.retail += retail
                part.wholesale += price.wholesale * quantity * count / total_days
                part.days += count
                for n in promos:
                    self.promo_base[n] = self.promo_base.get(n, ZERO) + retail
                    self.promo_days.setdefault(n, set()).update(
                        day + dt.timedelta(days=k) for k in range(count))
                if item.kind == ItemKind.PLAN and item.usage_key:
                    units = Decimal(price.included_units) * quantity * count / total_days
                    self.included[item.usage_key] = self.included.get(item.usage_key,
                                                                      ZERO) + units
                    self.overage_item[item.usage_key] = (item, price)
            day = stop
        for category, part in sums.items():
            if not part.days:
                continue
            client = category == Day.CLIENT
            suffix = _days_text(part.days, cycle.days)
            description = Text(en=item.name_en + suffix.en, fr=item.name_fr + suffix.fr)
            self.draft.lines.append(Line(
                LineKind(item.kind), BilledParty.CLIENT if client else BilledParty.RESELLER,
                item.code, description if client else _suspended(description), quantity,
                item.price_on(end - dt.timedelta(days=1)).retail,
                cents(part.retail) if client else ZERO, cents(part.wholesale), part.days))

    def _promotions_on(self, day: dt.date) -> tuple[int, ...]:
        if not self.promotions:
            return ()
        return tuple(n for n, promo in enumerate(self.promotions)
                     if promo.starts_on <= day < promo.ends_on)

    def one_time(self, sub: SubscriptionFacts, item: OfferedItem) -> None:
        """Once, in the cycle of its first day, if that day is billed."""
        cycle = self.draft.cycle
        if not cycle.starts_on <= sub.starts_on < cycle.ends_on:
            return
        category = self.days[(sub.starts_on - cycle.starts_on).days]
        if category == Day.NONE:
            return
        price = item.price_on(sub.starts_on)
        quantity = Decimal(sub.quantity)
        client = category == Day.CLIENT
        description = Text(en=item.name_en, fr=item.name_fr)
        self.draft.lines.append(Line(
            LineKind(item.kind), BilledParty.CLIENT if client else BilledParty.RESELLER,
            item.code, description if client else _suspended(description), quantity,
            price.retail, cents(price.retail * quantity) if client else ZERO,
            cents(price.wholesale * quantity)))


def rate(
    account: AccountFacts,
    cycle: Cycle,
    *,
    currency: str,
    reseller_bills_clients: bool,
    subscriptions: Sequence[SubscriptionFacts],
    items: Mapping[int, OfferedItem],
    promotions: Sequence[PromotionFacts],
    taxes: Sequence[TaxFacts],
    usage: Mapping[tuple[Day, str], tuple[Decimal, Text | str]],
    days: list[Day] | None = None,
    late_usage: Mapping[str, tuple[Decimal, Text | str]] | None = None,
) -> Draft:
    """The statement of ``account`` for ``cycle``: recurring charges prorated by day and
    status, one-time fees, usage beyond the plans, late usage, promotions and taxes (no
    balances). ``days``: :func:`day_categories` of the account, when already computed.
    ``late_usage``: per unit, usage of earlier cycles received after they were closed."""
    draft = Draft(account, cycle, currency, reseller_bills_clients,
                  final=account.unsubscribed_on is not None
                  and cycle.starts_on <= account.unsubscribed_on < cycle.ends_on)
    rating = _Rating(draft, days if days is not None else day_categories(account, cycle),
                     promotions)
    for sub in sorted(subscriptions, key=lambda s: (s.starts_on, s.id)):
        item = items.get(sub.offer_item_id)
        if item is None:
            continue
        first = max(sub.starts_on, cycle.starts_on)
        end = min(sub.ends_on or cycle.ends_on, cycle.ends_on)
        if item.recurrence == Recurrence.MONTHLY:
            rating.monthly(sub, item, first, end)
        elif item.recurrence == Recurrence.ONE_TIME:
            rating.one_time(sub, item)
        elif item.recurrence == Recurrence.PER_UNIT and item.usage_key and first < end:
            rating.per_unit[item.usage_key] = (item, item.price_on(end - dt.timedelta(days=1)))
    _usage_lines(draft, usage, rating.included, rating.overage_item, rating.per_unit)
    _late_usage_lines(draft, late_usage or {}, rating.days, rating.overage_item,
                      rating.per_unit)
    _promotion_lines(draft, promotions, rating.promo_base, rating.promo_days, cycle)
    subtotal = draft.charges - draft.discounts
    for tax in taxes:
        number = f" ({tax.registration_number})" if tax.registration_number else ""
        label = f"{tax.name} {tax.rate.normalize():f} %{number}"
        draft.lines.append(Line(LineKind.TAX, BilledParty.CLIENT, tax.name,
                                Text(en=label, fr=label), Decimal(1), subtotal,
                                cents(subtotal * tax.rate / 100)))
    return draft


def _usage_lines(draft: Draft, usage: Mapping[tuple[Day, str], tuple[Decimal, Text | str]],
                 included: Mapping[str, Decimal],
                 overage_item: Mapping[str, tuple[OfferedItem, PriceVersion]],
                 per_unit: Mapping[str, tuple[OfferedItem, PriceVersion]]) -> None:
    units = sorted({unit for _, unit in usage})
    for unit in units:
        client, client_text = usage.get((Day.CLIENT, unit), (ZERO, ""))
        borne, borne_text = usage.get((Day.RESELLER, unit), (ZERO, ""))
        used = client + borne
        draft.usage[unit] = used
        text = client_text or borne_text
        described = text if isinstance(text, Text) else Text(en=str(text), fr=str(text))
        allowance = cents(included.get(unit, ZERO))
        # What was used, for the record (the call-center's "Appels facturables" totals).
        draft.lines.append(Line(LineKind.USAGE, BilledParty.CLIENT, unit, described, used,
                                ZERO, ZERO))
        if unit in overage_item:
            item, price = overage_item[unit]
            client_over = max(ZERO, client - allowance)
            all_over = max(ZERO, used - allowance)
            retail_rate, wholesale_rate = price.retail_overage, price.wholesale_overage
            label = Text(en=f"{item.name_en}: beyond the {allowance} included",
                         fr=f"{item.name_fr} : au-delà des {allowance} inclus")
        elif unit in per_unit:
            item, price = per_unit[unit]
            client_over, all_over = client, used
            retail_rate, wholesale_rate = price.retail, price.wholesale
            label = Text(en=item.name_en, fr=item.name_fr)
        else:
            continue
        if not all_over:
            continue
        draft.lines.append(Line(LineKind.USAGE, BilledParty.CLIENT, item.code, label,
                                client_over, retail_rate, cents(client_over * retail_rate),
                                cents(all_over * wholesale_rate)))


_LATE = Text(en="Late usage", fr="Utilisation en retard")


def _late_usage_lines(draft: Draft, late: Mapping[str, tuple[Decimal, Text | str]],
                      days: Sequence[Day],
                      overage_item: Mapping[str, tuple[OfferedItem, PriceVersion]],
                      per_unit: Mapping[str, tuple[OfferedItem, PriceVersion]]) -> None:
    """Usage of earlier cycles received after they were closed, billed now as such: a line
    with what was used (its description names the days), then its price. The closed cycle's
    included units are not reopened: late units are all charged, at the overage rate of this
    cycle's plan or the price of its per-unit item (recorded and not charged without either).
    The client pays, unless this cycle bills only the reseller (billing suspended all along)."""
    client = Day.CLIENT in days or Day.RESELLER not in days
    party = BilledParty.CLIENT if client else BilledParty.RESELLER
    for unit in sorted(late):
        used, text = late[unit]
        if not used:
            continue
        described = text if isinstance(text, Text) else Text(en=str(text), fr=str(text))
        if not client:
            described = _suspended(described)
        draft.usage[unit] = draft.usage.get(unit, ZERO) + used
        draft.lines.append(Line(LineKind.USAGE, party, unit, described, used, ZERO, ZERO))
        if unit in overage_item:
            item, price = overage_item[unit]
            retail_rate, wholesale_rate = price.retail_overage, price.wholesale_overage
        elif unit in per_unit:
            item, price = per_unit[unit]
            retail_rate, wholesale_rate = price.retail, price.wholesale
        else:
            continue
        label = Text(en=f"{item.name_en}: {_LATE.en.lower()}",
                     fr=f"{item.name_fr} : {_LATE.fr.lower()}")
        draft.lines.append(Line(
            LineKind.USAGE, party, item.code, label if client else _suspended(label), used,
            retail_rate, cents(used * retail_rate) if client else ZERO,
            cents(used * wholesale_rate)))


def _promotion_lines(draft: Draft, promotions: Sequence[PromotionFacts],
                     base: Mapping[int, Decimal], covered: Mapping[int, set[dt.date]],
                     cycle: Cycle) -> None:
    taken = ZERO  # several promotions apply in order, each on what the previous ones left
    for n, promo in enumerate(promotions):
        amount = max(ZERO, base.get(n, ZERO) - taken)
        if not amount:
            continue
        if promo.kind == PromotionKind.FREE_MONTHS:
            discount = amount
        elif promo.kind == PromotionKind.PERCENT_OFF:
            discount = amount * (promo.percent or ZERO) / 100
        else:
            share = Decimal(len(covered.get(n, ()))) / Decimal(cycle.days)
            discount = min(amount, (promo.amount or ZERO) * share)
        discount = cents(discount)
        taken += discount
        if discount:
            draft.lines.append(Line(LineKind.PROMOTION, BilledParty.CLIENT, promo.code,
                                    Text(en=promo.name_en, fr=promo.name_fr), Decimal(1),
                                    -discount, -discount))
