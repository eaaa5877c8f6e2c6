"""The precedence table (README): every level, exceptions, ties, test mode, countries and area
codes, decided by ``services.decide`` on the real database, and the same answer from the naive
scan of every rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from gateway.contributions import Principal
from plugins.clients.services import set_test_mode
from plugins.restrictions import compiler, services
from plugins.restrictions.models import RestrictionAction, RestrictionScope
from tests.support.identity_factory import make_account, make_tenant

SYSTEM_ADMIN = Principal(role="SYSTEM_ADMIN")
PARIS = "+33 1 23 45 67 89"
LYON = "+33 4 72 00 00 00"


@dataclass
class Rule:
    name: str
    scope: str  # SYSTEM, RESELLER, ACCOUNT, SUBSCRIBER, OTHER_RESELLER, OTHER_ACCOUNT,
    # OTHER_SUBSCRIBER
    action: str
    prefix: str | None = None
    country: str | None = None
    area_code: str | None = None


@dataclass
class Case:
    rules: list[Rule]
    number: str
    allowed: bool
    reason: str
    decided_by: str | None = None  # the rule's name
    exceptions: list[tuple[str, str]] = field(default_factory=list)  # (rule, "mine"/"other")
    test_mode: bool = False


D, A = "DENY", "ALLOW"
CASES: dict[str, Case] = {
    "no rule: allowed by default": Case([], PARIS, True, "NO_RULE"),
    "system rule": Case([Rule("s", "SYSTEM", D, "33")], PARIS, False, "SYSTEM_RULE", "s"),
    "reseller rule beats system rule": Case(
        [Rule("s", "SYSTEM", D, "33"), Rule("r", "RESELLER", A, "33")],
        PARIS, True, "RESELLER_RULE", "r"),
    "account rule beats reseller rule": Case(
        [Rule("r", "RESELLER", D, "33"), Rule("a", "ACCOUNT", A, "331")],
        PARIS, True, "ACCOUNT_RULE", "a"),
    "account rule beats a longer system prefix": Case(
        [Rule("s", "SYSTEM", A, "3312"), Rule("a", "ACCOUNT", D, "33")],
        PARIS, False, "ACCOUNT_RULE", "a"),
    "level beats length": Case(
        [Rule("s", "SYSTEM", A, "331"), Rule("r", "RESELLER", D, "33")],
        PARIS, False, "RESELLER_RULE", "r"),
    "longest prefix within a level: allow": Case(
        [Rule("r1", "RESELLER", D, "33"), Rule("r2", "RESELLER", A, "331")],
        PARIS, True, "RESELLER_RULE", "r2"),
    "longest prefix within a level: deny": Case(
        [Rule("r1", "RESELLER", A, "33"), Rule("r2", "RESELLER", D, "331")],
        PARIS, False, "RESELLER_RULE", "r2"),
    "shorter prefix where the longer does not match": Case(
        [Rule("r1", "RESELLER", A, "33"), Rule("r2", "RESELLER", D, "331")],
        LYON, True, "RESELLER_RULE", "r1"),
    "deny wins a tie (account)": Case(
        [Rule("a1", "ACCOUNT", A, "33"), Rule("a2", "ACCOUNT", D, "33")],
        PARIS, False, "ACCOUNT_RULE", "a2"),
    "deny wins a tie (country and prefix)": Case(
        [Rule("s1", "SYSTEM", D, "33"), Rule("s2", "SYSTEM", A, country="FR")],
        PARIS, False, "SYSTEM_RULE", "s1"),
    "exception lifts a reseller deny": Case(
        [Rule("r", "RESELLER", D, country="FR")], PARIS, True, "EXCEPTION", "r",
        exceptions=[("r", "mine")]),
    "exception lifts a system deny": Case(
        [Rule("s", "SYSTEM", D, "33")], PARIS, True, "EXCEPTION", "s",
        exceptions=[("s", "mine")]),
    "exception beats the account's own rules": Case(
        [Rule("r", "RESELLER", D, "33"), Rule("a", "ACCOUNT", D, "331")],
        PARIS, True, "EXCEPTION", "r", exceptions=[("r", "mine")]),
    "exception covers only its rule's numbers": Case(
        [Rule("r", "RESELLER", D, "331"), Rule("s", "SYSTEM", D, "33")],
        LYON, False, "SYSTEM_RULE", "s", exceptions=[("r", "mine")]),
    "lifting an allow denies": Case(
        [Rule("s", "SYSTEM", D, "33"), Rule("r", "RESELLER", A, "331")],
        PARIS, False, "EXCEPTION", "r", exceptions=[("r", "mine")]),
    "another account's exception does not apply": Case(
        [Rule("r", "RESELLER", D, "33")], PARIS, False, "RESELLER_RULE", "r",
        exceptions=[("r", "other")]),
    "another account's rule does not apply": Case(
        [Rule("o", "OTHER_ACCOUNT", D, "33")], PARIS, True, "NO_RULE"),
    "another reseller's rule does not apply": Case(
        [Rule("o", "OTHER_RESELLER", D, "33")], PARIS, True, "NO_RULE"),
    "test mode denies without rules": Case([], PARIS, False, "TEST_MODE", test_mode=True),
    "test mode beats an allow": Case(
        [Rule("a", "ACCOUNT", A, "33")], PARIS, False, "TEST_MODE", test_mode=True),
    # The subscriber tier (the account's own rules): asked only when the staff levels allow.
    "own deny with no staff rule": Case(
        [Rule("o", "SUBSCRIBER", D, "33")], PARIS, False, "SUBSCRIBER_RULE", "o"),
    "own deny narrows a staff allow": Case(
        [Rule("r", "RESELLER", A, "33"), Rule("o", "SUBSCRIBER", D, "33")],
        PARIS, False, "SUBSCRIBER_RULE", "o"),
    "own deny narrows a longer staff allow": Case(
        [Rule("a", "ACCOUNT", A, "3312"), Rule("o", "SUBSCRIBER", D, "33")],
        PARIS, False, "SUBSCRIBER_RULE", "o"),
    "own allow cannot open a staff deny": Case(
        [Rule("s", "SYSTEM", D, "33"), Rule("o", "SUBSCRIBER", A, "331")],
        PARIS, False, "SYSTEM_RULE", "s"),
    "own allow cannot open an account deny": Case(
        [Rule("a", "ACCOUNT", D, country="FR"), Rule("o", "SUBSCRIBER", A, "33")],
        PARIS, False, "ACCOUNT_RULE", "a"),
    "own allow carves inside own deny": Case(
        [Rule("o1", "SUBSCRIBER", D, "33"), Rule("o2", "SUBSCRIBER", A, "331")],
        PARIS, True, "SUBSCRIBER_RULE", "o2"),
    "own deny inside own allow": Case(
        [Rule("o1", "SUBSCRIBER", A, "33"), Rule("o2", "SUBSCRIBER", D, "331")],
        PARIS, False, "SUBSCRIBER_RULE", "o2"),
    "shorter own rule where the longer does not match": Case(
        [Rule("o1", "SUBSCRIBER", D, "33"), Rule("o2", "SUBSCRIBER", A, "331")],
        LYON, False, "SUBSCRIBER_RULE", "o1"),
    "deny wins a tie (own rules)": Case(
        [Rule("o1", "SUBSCRIBER", A, "33"), Rule("o2", "SUBSCRIBER", D, country="FR")],
        PARIS, False, "SUBSCRIBER_RULE", "o2"),
    "own allow where the staff allow": Case(
        [Rule("r", "RESELLER", A, "33"), Rule("o", "SUBSCRIBER", A, "33")],
        PARIS, True, "SUBSCRIBER_RULE", "o"),
    "own deny after an exception allows": Case(
        [Rule("r", "RESELLER", D, "33"), Rule("o", "SUBSCRIBER", D, "331")],
        PARIS, False, "SUBSCRIBER_RULE", "o", exceptions=[("r", "mine")]),
    "own rule not matching leaves the staff decision": Case(
        [Rule("r", "RESELLER", A, "33"), Rule("o", "SUBSCRIBER", D, "44")],
        PARIS, True, "RESELLER_RULE", "r"),
    "another account's own rule does not apply": Case(
        [Rule("o", "OTHER_SUBSCRIBER", D, "33")], PARIS, True, "NO_RULE"),
    "test mode beats an own allow": Case(
        [Rule("o", "SUBSCRIBER", A, "33")], PARIS, False, "TEST_MODE", test_mode=True),
    "area code, national format read in the account's country": Case(
        [Rule("r", "RESELLER", D, country="CA", area_code="514")],
        "(514) 555-0100", False, "RESELLER_RULE", "r"),
    "area code does not cover another area code": Case(
        [Rule("r", "RESELLER", D, country="CA", area_code="514")],
        "416 555 0100", True, "NO_RULE"),
    "country US does not cover Canada": Case(
        [Rule("s", "SYSTEM", D, country="US")], "1-514-555-0100", True, "NO_RULE"),
    "country US covers New York": Case(
        [Rule("s", "SYSTEM", D, country="US")], "+1 212 555 0100", False, "SYSTEM_RULE", "s"),
    "international prefix 00 and a destination prefix": Case(
        [Rule("s", "SYSTEM", D, "+44 20")], "0044 20 7946 0958", False, "SYSTEM_RULE", "s"),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_precedence(database: None, name: str) -> None:
    case = CASES[name]
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    other = await make_account(alpha.reseller, name="Voisin")
    account = alpha.company  # country CA
    owners: dict[str, dict[str, Any]] = {
        "SYSTEM": {}, "RESELLER": {"reseller_id": alpha.reseller.id},
        "ACCOUNT": {"account_id": account.id}, "SUBSCRIBER": {"account_id": account.id},
        "OTHER_RESELLER": {"reseller_id": beta.reseller.id},
        "OTHER_ACCOUNT": {"account_id": other.id}, "OTHER_SUBSCRIBER": {"account_id": other.id}}
    ids: dict[str, int] = {}
    for rule in case.rules:
        scope = rule.scope.removeprefix("OTHER_")
        created = await services.create_rule(
            SYSTEM_ADMIN, scope=RestrictionScope(scope), action=RestrictionAction(rule.action),
            prefix=rule.prefix, country=rule.country, area_code=rule.area_code,
            **owners[rule.scope])
        ids[rule.name] = created.id
    for rule_name, whose in case.exceptions:
        await services.create_exception(SYSTEM_ADMIN, account.id if whose == "mine" else other.id,
                                        ids[rule_name])
    if case.test_mode:
        await set_test_mode(account.id, True)

    decision = await services.decide(account, case.number, cache=services.RuleCache())

    assert (decision.allowed, decision.reason) == (case.allowed, case.reason)
    expected_rule = ids[case.decided_by] if case.decided_by else None
    assert (decision.rule or {}).get("id") == expected_rule
    assert decision.explanation("en") and decision.explanation("fr") != decision.explanation("en")
    if not case.test_mode:
        rules, exceptions = await services.load_rows()
        naive = compiler.naive_decide(rules, exceptions, account.id, alpha.reseller.id,
                                      decision.number.removeprefix("+"))
        assert (naive.rule_id if naive else None) == expected_rule


def test_the_table_covers_every_reason() -> None:
    reasons: set[Any] = {case.reason for case in CASES.values()}
    assert reasons == {"NO_RULE", "SYSTEM_RULE", "RESELLER_RULE", "ACCOUNT_RULE", "EXCEPTION",
                       "SUBSCRIBER_RULE", "TEST_MODE"}
