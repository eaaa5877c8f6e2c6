"""Call restrictions without GraphQL: the one decision function every caller of a phone uses
(``decide``), the per-process cache of compiled rules, and the rule and exception changes.

Multi-process correctness: every change of a rule or an exception replaces the stamp of the
single ``restrictions_version`` row in the same transaction. Each process keeps its compiled
``RuleSet`` with the stamp it was built from and reads the stamp (one primary-key lookup)
before each decision; a different stamp means another process (or this one) changed the rules,
and the RuleSet is rebuilt. A random stamp rather than a counter: an emptied or restored table
can never hand back a value an old cache still holds.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeGuard

import phonenumbers
from phonenumbers import geocoder
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    ACCOUNT_NOT_FOUND,
    REQUIRED,
    RESELLER_SIDE,
    SUBSCRIBERS,
    Account,
    AccountKind,
    Field,
    PluginHost,
    Principal,
    Problem,
    Role,
    Text,
    accounts_visible,
    resellers_visible,
)
from plugins.clients.api import is_test_mode
from plugins.restrictions import compiler
from plugins.restrictions import errors as e
from plugins.restrictions.models import (
    CallRestriction,
    CallRestrictionException,
    RestrictionAction,
    RestrictionScope,
    RestrictionTarget,
    RuleVersion,
)

Code = e.RestrictionErrorCode
RULE_COLUMNS = ("id", "scope", "action", "target", "country", "area_code", "prefix",
                "reseller_id", "account_id", "created_at", "updated_at")
EXCEPTION_COLUMNS = ("id", "account_id", "reseller_id", "restriction_id", "created_at")
VERSION_ROW = 1
# An account's own rules, at most (the staff levels have no cap: staff import long lists).
MAX_SUBSCRIBER_RULES = 200
# Who changes the account's own rules from inside it (employees only read and check them).
OWN_RULE_EDITORS = (Role.COMPANY_ADMIN, Role.PROFESSIONAL)


# --- Who sees what -----------------------------------------------------------------------------

def _reseller_wide(principal: Principal | None) -> TypeGuard[Principal]:
    return (principal is not None and principal.role in RESELLER_SIDE
            and not principal.direct_access)


def _inside_account(principal: Principal | None) -> TypeGuard[Principal]:
    """A user of one account (company admin, employee, professional), or staff inside it
    through direct access: the account's own rules only."""
    return principal is not None and principal.account_id is not None and (
        principal.role in SUBSCRIBERS or principal.direct_access)


def rules_visible(principal: Principal | None) -> QuerySet[CallRestriction]:
    """System admins: every rule. Reseller staff: the system rules (read only) and every rule
    of their reseller, their accounts' own rules included. An account's users: its own
    (SUBSCRIBER) rules; the staff levels are not listed to them (``check_call`` names the
    staff rule that decides a number). Anyone else: none."""
    if principal is not None and principal.role == Role.SYSTEM_ADMIN:
        return CallRestriction.all()
    if _reseller_wide(principal):
        return CallRestriction.filter(Q(scope=RestrictionScope.SYSTEM)
                                      | Q(reseller_id=principal.reseller_id or -1))
    if _inside_account(principal):
        return CallRestriction.filter(scope=RestrictionScope.SUBSCRIBER,
                                      account_id=principal.account_id)
    return CallRestriction.filter(id=-1)


def exceptions_visible(principal: Principal | None) -> QuerySet[CallRestrictionException]:
    if principal is not None and principal.role == Role.SYSTEM_ADMIN:
        return CallRestrictionException.all()
    if _reseller_wide(principal):
        return CallRestrictionException.filter(reseller_id=principal.reseller_id or -1)
    return CallRestrictionException.filter(id=-1)


async def _managed_account(principal: Principal | None, account_id: int) -> Account | None:
    if principal is None or (principal.role != Role.SYSTEM_ADMIN
                             and not _reseller_wide(principal)):
        return None
    return await accounts_visible(principal).filter(id=account_id).first()


async def _own_account(principal: Principal | None, account_id: int | None) -> Account | None:
    """The account whose own rules the caller reads: any account staff manage, or for its
    users the own account (``None``: the own account); anything else None."""
    if _inside_account(principal):
        if account_id not in (None, principal.account_id):
            return None
        return await accounts_visible(principal).filter(id=principal.account_id).first()
    if account_id is None:
        return None
    return await _managed_account(principal, account_id)


async def account_for(principal: Principal | None, account_id: int,
                      field: Field | None = None) -> Account:
    """An account the caller may manage; any other id is "not found"."""
    account = await _managed_account(principal, account_id)
    if account is None:
        raise Problem(Code.NOT_FOUND, ACCOUNT_NOT_FOUND, field or ["input", "accountId"])
    return account


async def _rule_for(principal: Principal | None, rule_id: int, field: Field) -> CallRestriction:
    rule = await rules_visible(principal).filter(id=rule_id).first()
    if rule is None:
        raise Problem(Code.NOT_FOUND, e.RULE_NOT_FOUND, field)
    return rule


async def _may_change(principal: Principal, rule: CallRestriction, field: Field,
                      host: PluginHost | None) -> None:
    if rule.scope == RestrictionScope.SYSTEM and principal.role != Role.SYSTEM_ADMIN:
        raise Problem(Code.NOT_ALLOWED, e.SYSTEM_ONLY, field)
    if rule.scope == RestrictionScope.SUBSCRIBER and _inside_account(principal):
        account = await Account.get(id=rule.account_id)
        await _may_edit_own_rules(principal, account, field, host)


async def _may_edit_own_rules(principal: Principal, account: Account, field: Field,
                              host: PluginHost | None) -> None:
    """From inside the account, only its company admin or professional changes its own rules,
    and not when the reseller's "Restrictions de gestion du compte" forbid it (a professional
    account "géré par l'administrateur", a company whose reseller chose "Interdire la gestion
    des utilisateurs"): the core's ``gateway_account_management_restricted`` hook answers.
    Staff, and staff inside the account through direct access, always may."""
    if not _inside_account(principal) or principal.direct_access:
        return
    if principal.role not in OWN_RULE_EDITORS:
        raise Problem(Code.NOT_ALLOWED, e.OWN_RULES_ADMINS_ONLY, field)
    if host is not None and any(await host.call_async(
            "gateway_account_management_restricted", account=account)):
        text = e.ADMIN_MANAGED if account.kind == AccountKind.PROFESSIONAL else (
            e.MANAGEMENT_FORBIDDEN)
        raise Problem(Code.MANAGED_BY_PROVIDER, text, field)


async def rule_row(rule_id: int) -> dict[str, Any]:
    """One rule's ``RULE_COLUMNS`` (a rule the caller just saved)."""
    rows = await CallRestriction.filter(id=rule_id).values(*RULE_COLUMNS)
    return rows[0]


# --- Lists --------------------------------------------------------------------------------------

async def rules_listed(principal: Principal, scope: RestrictionScope,
                       account_id: int | None = None) -> QuerySet[CallRestriction] | None:
    """The rules of one level the caller sees: SYSTEM (read only for reseller staff),
    RESELLER (theirs; a system admin names an account to see its reseller's, or sees all),
    ACCOUNT (an account must be named). None (an empty list) for an account the caller may
    not manage or no account at the ACCOUNT level.

    SUBSCRIBER (an account's own rules): its users see the own account's (``account_id`` may
    be left out); staff name an account, or see every account's they manage. An account's
    users see no other level here."""
    query = rules_visible(principal).filter(scope=scope)
    if scope == RestrictionScope.SUBSCRIBER and (_inside_account(principal)
                                                 or account_id is not None):
        account = await _own_account(principal, account_id)
        return None if account is None else query.filter(account_id=account.id)
    if _inside_account(principal):
        return None
    if account_id is not None:
        account = await _managed_account(principal, account_id)
        if account is None:
            return None
        if scope == RestrictionScope.ACCOUNT:
            return query.filter(account_id=account.id)
        if scope == RestrictionScope.RESELLER:
            return query.filter(reseller_id=account.reseller_id)
        return query
    if scope == RestrictionScope.ACCOUNT:
        return None
    if scope == RestrictionScope.RESELLER and principal.role != Role.SYSTEM_ADMIN:
        return query.filter(reseller_id=principal.reseller_id or -1)
    return query


async def exceptions_listed(principal: Principal,
                            account_id: int) -> QuerySet[CallRestrictionException] | None:
    """The account's exceptions to wider rules; None for an account the caller may not
    manage."""
    account = await _managed_account(principal, account_id)
    if account is None:
        return None
    return exceptions_visible(principal).filter(account_id=account.id)


# --- Targets ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    kind: RestrictionTarget
    country: str | None = None
    area_code: str | None = None
    prefix: str | None = None


def clean_target(country: str | None, area_code: str | None, prefix: str | None) -> Target:
    """Exactly one of: a country, a country and an area code, a prefix; normalised."""
    country = (country or "").strip().upper() or None
    area_code = "".join((area_code or "").split()) or None
    prefix = "".join((prefix or "").replace("-", " ").split()) or None
    if prefix is not None:
        if country or area_code:
            raise Problem(Code.ONE_TARGET, e.ONE_TARGET, ["input", "prefix"])
        digits = prefix.removeprefix("+").removeprefix("00") if prefix.startswith(
            ("+", "00")) else prefix
        if not (digits.isdigit() and 1 <= len(digits) <= 15 and digits[0] != "0"):
            raise Problem(Code.INVALID_PREFIX, e.INVALID_PREFIX, ["input", "prefix"])
        return Target(RestrictionTarget.PREFIX, prefix=digits)
    if country is None:
        field = ["input", "country"]
        raise Problem(Code.REQUIRED if area_code else Code.ONE_TARGET,
                      REQUIRED if area_code else e.ONE_TARGET, field)
    if len(country) != 2 or not country.isalpha() or not phonenumbers.country_code_for_region(
            country):
        raise Problem(Code.INVALID_COUNTRY, e.INVALID_COUNTRY, ["input", "country"],
                      country=country)
    if area_code is not None:
        if not (area_code.isdigit() and 1 <= len(area_code) <= 6):
            raise Problem(Code.INVALID_AREA_CODE, e.INVALID_AREA_CODE, ["input", "areaCode"])
        full = compiler.area_code_prefix(country, area_code)
        if len(full) > 15:
            raise Problem(Code.INVALID_AREA_CODE, e.INVALID_AREA_CODE, ["input", "areaCode"])
        return Target(RestrictionTarget.AREA_CODE, country=country,
                      area_code=full[len(str(phonenumbers.country_code_for_region(country))):],
                      prefix=full)
    try:
        compiler.country_prefixes(country)
    except compiler.UnknownCountry:
        raise Problem(Code.INVALID_COUNTRY, e.COUNTRY_NEEDS_PREFIX, ["input", "country"],
                      country=country) from None
    return Target(RestrictionTarget.COUNTRY, country=country)


# --- Changes (each bumps the version in its transaction) ----------------------------------------

async def _bump(connection: BaseDBAsyncClient) -> None:
    """Replace the stamp: every process rebuilds its compiled rules on its next decision."""
    stamp = uuid.uuid4().hex
    updated = await RuleVersion.filter(id=VERSION_ROW).using_db(connection).update(stamp=stamp)
    if not updated:
        await RuleVersion.create(id=VERSION_ROW, stamp=stamp, using_db=connection)


async def _own_scope_owner(principal: Principal, scope: RestrictionScope,
                           account_id: int | None,
                           reseller_id: int | None) -> tuple[int | None, int | None]:
    """An account's own users (or staff inside it): the own rules of the own account only."""
    if scope != RestrictionScope.SUBSCRIBER:
        raise Problem(Code.NOT_ALLOWED, e.SUBSCRIBER_TIER_ONLY, ["input", "scope"])
    if reseller_id is not None:
        raise Problem(Code.INVALID, e.NOT_FOR_SCOPE, ["input", "resellerId"],
                      scope="SUBSCRIBER")
    account = await _own_account(principal, account_id)
    if account is None:
        raise Problem(Code.NOT_FOUND, ACCOUNT_NOT_FOUND, ["input", "accountId"])
    return account.reseller_id, account.id


async def _scope_owner(principal: Principal, scope: RestrictionScope, account_id: int | None,
                       reseller_id: int | None) -> tuple[int | None, int | None]:
    """(reseller id, account id) a new rule of ``scope`` belongs to, checked against the
    caller's tenancy (staff; ``_own_scope_owner`` for an account's own users)."""
    if scope == RestrictionScope.SYSTEM:
        if principal.role != Role.SYSTEM_ADMIN:
            raise Problem(Code.NOT_ALLOWED, e.SYSTEM_ONLY, ["input", "scope"])
        for value, name in ((account_id, "accountId"), (reseller_id, "resellerId")):
            if value is not None:
                raise Problem(Code.INVALID, e.NOT_FOR_SCOPE, ["input", name], scope="SYSTEM")
        return None, None
    if scope in (RestrictionScope.ACCOUNT, RestrictionScope.SUBSCRIBER):
        if account_id is None:
            raise Problem(Code.REQUIRED, REQUIRED, ["input", "accountId"])
        account = await account_for(principal, account_id)
        return account.reseller_id, account.id
    # RESELLER: the caller's reseller, or for a system admin the one named (or the account's).
    if account_id is not None:
        account = await account_for(principal, account_id)
        resolved = account.reseller_id
        if reseller_id is not None and reseller_id != resolved:
            raise Problem(Code.NOT_FOUND, e.RESELLER_NOT_FOUND, ["input", "resellerId"])
        return resolved, None
    if reseller_id is None:
        if principal.role == Role.SYSTEM_ADMIN or not principal.reseller_id:
            raise Problem(Code.REQUIRED, REQUIRED, ["input", "resellerId"])
        return principal.reseller_id, None
    found = await resellers_visible(principal).filter(id=reseller_id).exists()
    if not found or not (principal.role == Role.SYSTEM_ADMIN or _reseller_wide(principal)):
        raise Problem(Code.NOT_FOUND, e.RESELLER_NOT_FOUND, ["input", "resellerId"])
    return reseller_id, None


async def create_rule(principal: Principal, *, scope: RestrictionScope,
                      action: RestrictionAction, country: str | None = None,
                      area_code: str | None = None, prefix: str | None = None,
                      account_id: int | None = None, reseller_id: int | None = None,
                      host: PluginHost | None = None) -> CallRestriction:
    """A new rule at ``scope``: SYSTEM (system admins), RESELLER (all the reseller's
    accounts), ACCOUNT, or SUBSCRIBER (the account's own; its company admin or professional
    too, unless ``host``'s management restriction forbids it); the target is exactly one of
    country, country + area code, prefix."""
    scope = RestrictionScope(scope)
    owner_reseller, owner_account = await (
        _own_scope_owner if _inside_account(principal) else _scope_owner)(
        principal, scope, account_id, reseller_id)
    if scope == RestrictionScope.SUBSCRIBER:
        await _may_edit_own_rules(principal, await Account.get(id=owner_account),
                                  ["input", "scope"], host)
    target = clean_target(country, area_code, prefix)
    async with in_transaction() as connection:
        # The stamp first: its row lock also serialises concurrent creations, so the cap below
        # cannot be overrun by two requests counting at once.
        await _bump(connection)
        if scope == RestrictionScope.SUBSCRIBER and await CallRestriction.filter(
                scope=scope, account_id=owner_account).using_db(
                connection).count() >= MAX_SUBSCRIBER_RULES:
            raise Problem(Code.LIMIT_REACHED, e.TOO_MANY_OWN_RULES, ["input", "scope"],
                          max=MAX_SUBSCRIBER_RULES)
        rule = await CallRestriction.create(
            scope=scope, reseller_id=owner_reseller, account_id=owner_account,
            action=action, target=target.kind, country=target.country,
            area_code=target.area_code, prefix=target.prefix,
            created_by_id=principal.real_user_id or principal.user_id, using_db=connection)
    return rule


async def update_rule(principal: Principal, rule_id: int, *,
                      action: RestrictionAction | None = None, country: str | None = None,
                      area_code: str | None = None, prefix: str | None = None,
                      host: PluginHost | None = None) -> CallRestriction:
    """Edit a rule's action and/or its target (given target fields replace the whole target);
    its scope and owner never change."""
    rule = await _rule_for(principal, rule_id, ["input", "id"])
    await _may_change(principal, rule, ["input", "id"], host)
    changes: dict[str, Any] = {}
    if action is not None:
        changes["action"] = RestrictionAction(action)
    if any(v is not None for v in (country, area_code, prefix)):
        target = clean_target(country, area_code, prefix)
        changes.update(target=target.kind, country=target.country, area_code=target.area_code,
                       prefix=target.prefix)
    if changes:
        async with in_transaction() as connection:
            await CallRestriction.filter(id=rule.id).using_db(connection).update(**changes)
            await _bump(connection)
    return await CallRestriction.get(id=rule.id)


async def delete_rule(principal: Principal, rule_id: int,
                      host: PluginHost | None = None) -> int:
    """Delete a rule and the exceptions to it."""
    rule = await _rule_for(principal, rule_id, ["input", "id"])
    await _may_change(principal, rule, ["input", "id"], host)
    async with in_transaction() as connection:
        await CallRestrictionException.filter(restriction_id=rule.id).using_db(
            connection).delete()
        await CallRestriction.filter(id=rule.id).using_db(connection).delete()
        await _bump(connection)
    return rule.id


async def create_exception(principal: Principal, account_id: int,
                           restriction_id: int) -> CallRestrictionException:
    """Lift a wider rule (system, or the account's reseller's) for one account. Reseller staff
    lift their reseller's rules; only a system admin lifts a system-wide rule."""
    account = await account_for(principal, account_id)
    rule = await _rule_for(principal, restriction_id, ["input", "restrictionId"])
    applies = rule.scope == RestrictionScope.SYSTEM or (
        rule.scope == RestrictionScope.RESELLER
        and rule.reseller_id == account.reseller_id)
    if not applies:
        raise Problem(Code.NOT_WIDER, e.NOT_WIDER, ["input", "restrictionId"])
    if rule.scope == RestrictionScope.SYSTEM and principal.role != Role.SYSTEM_ADMIN:
        raise Problem(Code.NOT_ALLOWED, e.EXCEPT_SYSTEM, ["input", "restrictionId"])
    async with in_transaction() as connection:
        if await CallRestrictionException.filter(account_id=account.id, restriction_id=rule.id
                                                 ).using_db(connection).exists():
            raise Problem(Code.ALREADY_EXISTS, e.ALREADY_EXCEPTED, ["input", "restrictionId"])
        exception = await CallRestrictionException.create(
            account_id=account.id, reseller_id=account.reseller_id,
            restriction_id=rule.id, created_by_id=principal.real_user_id or principal.user_id,
            using_db=connection)
        await _bump(connection)
    return exception


async def delete_exception(principal: Principal, exception_id: int) -> int:
    exception = await exceptions_visible(principal).filter(id=exception_id).first()
    if exception is None:
        raise Problem(Code.NOT_FOUND, e.EXCEPTION_NOT_FOUND, ["input", "id"])
    if principal.role != Role.SYSTEM_ADMIN and await CallRestriction.filter(
            id=exception.restriction_id, scope=RestrictionScope.SYSTEM).exists():
        raise Problem(Code.NOT_ALLOWED, e.EXCEPT_SYSTEM, ["input", "id"])
    async with in_transaction() as connection:
        await CallRestrictionException.filter(id=exception.id).using_db(connection).delete()
        await _bump(connection)
    return exception.id


async def forget_account(account_id: int) -> None:
    """An account purged for good: its rules and exceptions go, and caches forget them."""
    async with in_transaction() as connection:
        await CallRestrictionException.filter(account_id=account_id).using_db(connection).delete()
        await CallRestriction.filter(account_id=account_id).using_db(connection).delete()
        await _bump(connection)


# --- The compiled rules, per process ------------------------------------------------------------

_NEVER = object()


class RuleCache:
    """This process's compiled rules and the stamp they were built from.

    ``check_interval`` seconds (0: before every decision) between two reads of the stamp.
    Rebuilding is serialised per event loop so that concurrent decisions build once; the
    compiling itself runs in a thread, so that the loop keeps serving meanwhile. Job actors
    may decide from their own event loops: the (stamp, rules) pair is replaced in one
    assignment and each loop gets its own lock."""

    def __init__(self, check_interval: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.check_interval = check_interval
        self.clock = clock
        self._state: tuple[object, compiler.RuleSet | None] = (_NEVER, None)
        self.builds = 0
        self._checked_at = float("-inf")
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary())

    @property
    def ruleset(self) -> compiler.RuleSet | None:
        return self._state[1]

    async def current(self) -> compiler.RuleSet:
        now = self.clock()
        stamp, ruleset = self._state
        if ruleset is not None and now - self._checked_at < self.check_interval:
            return ruleset
        latest = await current_stamp()
        if ruleset is None or latest != stamp:
            loop = asyncio.get_running_loop()
            lock = self._locks.setdefault(loop, asyncio.Lock())
            async with lock:
                stamp, ruleset = self._state
                if ruleset is None or latest != stamp:
                    # Stamp first, rules second: a change committed in between only costs one
                    # more rebuild on the next decision, never a stale answer kept.
                    rules, exceptions = await load_rows()
                    ruleset = await asyncio.to_thread(compiler.compile_rules, rules, exceptions)
                    self._state = (latest, ruleset)
                    self.builds += 1
        self._checked_at = now
        return ruleset


async def current_stamp() -> str | None:
    stamps: list[Any] = await RuleVersion.filter(id=VERSION_ROW).values_list("stamp",
                                                                             flat=True)
    return stamps[0] if stamps else None


async def load_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rules = await CallRestriction.all().values(*RULE_COLUMNS)
    exceptions = await CallRestrictionException.all().values(*EXCEPTION_COLUMNS)
    return [plain_row(r) for r in rules], exceptions


def plain_row(row: dict[str, Any]) -> dict[str, Any]:
    """A rule row with its enums as plain text, as the compiler reads it."""
    return {**row, "scope": str(row["scope"]), "action": str(row["action"]),
            "target": str(row["target"])}


async def load_ruleset() -> compiler.RuleSet:
    rules, exceptions = await load_rows()
    return compiler.compile_rules(rules, exceptions)


CACHE = RuleCache()


# --- The decision --------------------------------------------------------------------------

class Reason(StrEnum):
    """What decided a call."""

    TEST_MODE = "TEST_MODE"
    EXCEPTION = "EXCEPTION"
    ACCOUNT_RULE = "ACCOUNT_RULE"
    RESELLER_RULE = "RESELLER_RULE"
    SYSTEM_RULE = "SYSTEM_RULE"
    SUBSCRIBER_RULE = "SUBSCRIBER_RULE"
    NO_RULE = "NO_RULE"


_REASON_OF_LEVEL = {compiler.EXCEPTION: Reason.EXCEPTION, compiler.ACCOUNT: Reason.ACCOUNT_RULE,
                    compiler.RESELLER: Reason.RESELLER_RULE, compiler.SYSTEM: Reason.SYSTEM_RULE,
                    compiler.SUBSCRIBER: Reason.SUBSCRIBER_RULE}

LEVEL_NAMES = {
    "SYSTEM": Text(en="system-wide", fr="de tout le système"),
    "RESELLER": Text(en="reseller-wide", fr="du revendeur"),
    "ACCOUNT": Text(en="account", fr="du compte"),
}
ACTION_NAMES = {"ALLOW": Text(en="allow", fr="autoriser"), "DENY": Text(en="deny", fr="interdire")}
VERDICTS = {True: Text(en="Allowed", fr="Autorisé"), False: Text(en="Denied", fr="Refusé")}

EXPLAIN_TEST_MODE = Text(
    en="Denied: the account is in test mode, which blocks every outgoing call.",
    fr="Refusé : le compte est en mode test, ce qui bloque tous les appels sortants.")
EXPLAIN_RULE = Text(
    en="{verdict} by the {level} rule #{rule} ({action} {target}): {why}",
    fr="{verdict} par la règle {level} no {rule} ({action} {target}) : {why}")
WHY = {
    "ACCOUNT": Text(
        en="no exception applies, and among the account's rules {prefix} is the longest "
        "matching prefix.",
        fr="aucune exception ne s'applique, et parmi les règles du compte {prefix} est le plus "
        "long préfixe correspondant."),
    "RESELLER": Text(
        en="no exception or account rule matches, and among the reseller's rules {prefix} is "
        "the longest matching prefix.",
        fr="aucune exception ni règle du compte ne correspond, et parmi les règles du revendeur "
        "{prefix} est le plus long préfixe correspondant."),
    "SYSTEM": Text(
        en="nothing matches at the account or reseller level, and among the system rules "
        "{prefix} is the longest matching prefix.",
        fr="rien ne correspond au niveau du compte ni du revendeur, et parmi les règles du "
        "système {prefix} est le plus long préfixe correspondant."),
}
EXPLAIN_EXCEPTION = Text(
    en="{verdict}: exception #{exception} lifts the {level} rule #{rule} ({action} {target}) "
    "for this account.",
    fr="{verdict} : l'exception no {exception} lève la règle {level} no {rule} ({action} "
    "{target}) pour ce compte.")
# The subscriber tier, as the account's users read it ("your company's rule #5").
OWN_RULES_OF = {
    True: Text(en="your company's rule", fr="la règle de votre entreprise"),
    False: Text(en="your own rule", fr="votre propre règle"),
}
EXPLAIN_OWN_RULE = {
    False: Text(
        en="Denied by {own} #{rule} ({action} {target}): among the account's own rules "
        "{prefix} is the longest matching prefix.",
        fr="Refusé par {own} no {rule} ({action} {target}) : parmi les règles propres au "
        "compte, {prefix} est le plus long préfixe correspondant."),
    True: Text(
        en="Allowed by {own} #{rule} ({action} {target}), within what your reseller allows: "
        "among the account's own rules {prefix} is the longest matching prefix.",
        fr="Autorisé par {own} no {rule} ({action} {target}), dans les limites de ce que "
        "votre revendeur autorise : parmi les règles propres au compte, {prefix} est le plus "
        "long préfixe correspondant."),
}
EXPLAIN_CANNOT_OPEN = Text(
    en=" {own} #{rule} ({action} {target}) cannot open it: the account's own rules only "
    "narrow what its reseller allows.",
    fr=" {own} no {rule} ({action} {target}) ne peut l'ouvrir : les règles propres au compte "
    "ne font que restreindre ce que son revendeur autorise.")
EXPLAIN_NO_RULE = Text(
    en="Allowed: no rule matches {number}; calls are allowed unless a rule denies them.",
    fr="Autorisé : aucune règle ne correspond à {number}; les appels sont autorisés sauf si "
    "une règle les interdit.")


@lru_cache(maxsize=512)
def country_name(iso: str, language: str) -> str:
    example = phonenumbers.example_number(iso)
    name = geocoder.country_name_for_number(example, language) if example else ""
    return name or iso


def describe_target(row: dict[str, Any], language: str) -> str:
    """France (+33), Canada +1 514, +4420: a rule's target as people read it."""
    target = str(row["target"])
    if target == "COUNTRY":
        code = phonenumbers.country_code_for_region(row["country"])
        return f"{country_name(row['country'], language)} (+{code})"
    if target == "AREA_CODE":
        code = phonenumbers.country_code_for_region(row["country"])
        return f"{country_name(row['country'], language)} +{code} {row['area_code']}"
    return f"+{row['prefix']}"


@dataclass(frozen=True)
class Decision:
    """Allowed or denied, for which E.164 number, what decided and why."""

    allowed: bool
    number: str
    reason: Reason
    rule: dict[str, Any] | None = None
    exception_id: int | None = None
    prefix: str | None = None
    # The account's own ALLOW rule that matched a number the staff levels deny: it did not
    # decide (the account's own rules never open what staff closed), the explanation says so.
    overruled: dict[str, Any] | None = None
    company: bool = True  # the account's own rules are "your company's" (else "your own")

    def explanation(self, language: str) -> str:
        """Why, in the reader's language (fr/en)."""
        if self.reason == Reason.TEST_MODE:
            return EXPLAIN_TEST_MODE.render(language)
        if self.rule is None:
            return EXPLAIN_NO_RULE.render(language, number=self.number)
        if self.reason == Reason.SUBSCRIBER_RULE:
            return EXPLAIN_OWN_RULE[self.allowed].render(
                language, own=OWN_RULES_OF[self.company].render(language), rule=self.rule["id"],
                action=ACTION_NAMES[str(self.rule["action"])].render(language),
                target=describe_target(self.rule, language), prefix=f"+{self.prefix}")
        values = {
            "verdict": VERDICTS[self.allowed].render(language),
            "level": LEVEL_NAMES[str(self.rule["scope"])].render(language),
            "rule": self.rule["id"],
            "action": ACTION_NAMES[str(self.rule["action"])].render(language),
            "target": describe_target(self.rule, language),
            "prefix": f"+{self.prefix}",
            "exception": self.exception_id,
        }
        values["why"] = WHY[str(self.rule["scope"])].render(language, prefix=values["prefix"])
        template = EXPLAIN_EXCEPTION if self.reason == Reason.EXCEPTION else EXPLAIN_RULE
        text = template.render(language, **values)
        if self.overruled is not None:
            own = OWN_RULES_OF[self.company].render(language)
            text += EXPLAIN_CANNOT_OPEN.render(
                language, own=own[:1].upper() + own[1:], rule=self.overruled["id"],
                action=ACTION_NAMES[str(self.overruled["action"])].render(language),
                target=describe_target(self.overruled, language))
        return text


def normalize_dialled(number: str, country: str) -> str:
    """E.164 of a dialled number in any common format, national ones read in the account's
    country; a string that is not a phone number is the ``INVALID_NUMBER`` problem."""
    text = str(number).strip()
    invalid = Problem(e.INVALID_NUMBER_CODE, e.INVALID_NUMBER, number=text[:40] or '""')
    # Letters would be read as a keypad's digits: a typo must not become someone's number.
    if not text or any(char.isalpha() for char in text):
        raise invalid
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, country or None)
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_possible_number(parsed):
        raise invalid
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


async def decide(account: Account, dialled_number: str, *,
                 cache: RuleCache | None = None) -> Decision:
    """May ``account`` call ``dialled_number``? Everything that places calls asks this.

    Order (README): test mode denies everything; then the account's exceptions, the account's
    rules, its reseller's rules, the system rules, the first level with a match deciding by
    its longest prefix (DENY wins a tie); what they deny stays denied; what they allow (or no
    rule) the account's own (SUBSCRIBER) rules may still deny, by their longest prefix; no
    match at all is allowed."""
    number = normalize_dialled(dialled_number, account.country)
    if await is_test_mode(account.id):
        return Decision(allowed=False, number=number, reason=Reason.TEST_MODE)
    ruleset = await (cache or CACHE).current()
    return decide_compiled(ruleset, account.id, account.reseller_id, number,
                           company=account.kind != AccountKind.PROFESSIONAL)


async def check_call(principal: Principal, account_id: int, dialled_number: str) -> Decision:
    """The simulator support staff and the account's own users use: the decision for an
    account the caller manages, or the caller's own (any other is the ``NOT_FOUND`` problem,
    never a denial)."""
    account = await _own_account(principal, account_id)
    if account is None:
        raise Problem("NOT_FOUND", ACCOUNT_NOT_FOUND)
    return await decide(account, dialled_number)


def decide_compiled(ruleset: compiler.RuleSet, account_id: int, reseller_id: int,
                    number: str, *, company: bool = True) -> Decision:
    """The decision on compiled rules alone (no database): what the benchmark measures."""
    staff, own = ruleset.tiers(account_id, reseller_id, number.removeprefix("+"))
    match = compiler.settle(staff, own)
    if match is None:
        return Decision(allowed=True, number=number, reason=Reason.NO_RULE, company=company)
    overruled = own if own is not None and match is staff and own.action == compiler.ALLOW else (
        None)
    return Decision(allowed=match.action == compiler.ALLOW, number=number,
                    reason=_REASON_OF_LEVEL[match.level], rule=ruleset.rows[match.rule_id],
                    exception_id=match.exception_id, prefix=match.prefix,
                    overruled=ruleset.rows[overruled.rule_id] if overruled else None,
                    company=company)


