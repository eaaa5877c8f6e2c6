"""The compiled trees without a database: countries to prefixes, and the trees agreeing with a
naive scan of every rule on random rule sets."""

from __future__ import annotations

import random

import pytest

from plugins.restrictions import compiler
from plugins.restrictions.compiler import (
    PrefixTree,
    area_code_prefix,
    compile_rules,
    country_prefixes,
    naive_decide,
    naive_tiers,
)


def test_a_country_alone_on_its_calling_code_is_that_code() -> None:
    assert country_prefixes("FR") == ("33",)
    assert country_prefixes("gb") != ()


def test_north_american_countries_are_told_apart_by_area_code() -> None:
    canada = set(country_prefixes("CA"))
    usa = set(country_prefixes("US"))
    assert {"1514", "1416", "1604"} <= canada
    assert "1212" not in canada
    assert not canada & usa
    # The US is the rest of +1: New York is in, Montréal and Jamaica are not.
    assert any("12125550100".startswith(p) for p in usa)
    assert not any("15145550100".startswith(p) for p in usa)
    assert not any("18765550100".startswith(p) for p in usa)
    assert set(country_prefixes("JM")) == {"1658", "1876"}


def test_shared_codes_use_leading_digits() -> None:
    assert set(country_prefixes("KZ")) == {"77"}
    assert not any("77012345678".startswith(p) for p in country_prefixes("RU"))
    assert any("74951234567".startswith(p) for p in country_prefixes("RU"))


def test_unknown_countries_are_refused() -> None:
    with pytest.raises(compiler.UnknownCountry):
        country_prefixes("ZZ")


def test_area_codes_drop_the_national_trunk_prefix() -> None:
    assert area_code_prefix("CA", "514") == "1514"
    assert area_code_prefix("FR", "01") == "331"
    assert area_code_prefix("FR", "1") == "331"


def test_deny_wins_a_tie_whatever_the_order() -> None:
    for order in ((1, 2), (2, 1)):
        tree = PrefixTree()
        for rule_id in order:
            action = compiler.DENY if rule_id == 2 else compiler.ALLOW
            tree.add(compiler.Match("SYSTEM", action, "44", rule_id))
        found = tree.longest("442071234567")
        assert found is not None and found.action == compiler.DENY and found.rule_id == 2


def _random_rules(rng: random.Random, count: int) -> tuple[list[dict], list[dict]]:
    rules = []
    for rule_id in range(1, count + 1):
        scope = rng.choice(("SYSTEM", "RESELLER", "ACCOUNT", "SUBSCRIBER"))
        target = rng.choice(("PREFIX", "PREFIX", "PREFIX", "COUNTRY"))
        rules.append({
            "id": rule_id, "scope": scope, "action": rng.choice(("ALLOW", "DENY")),
            "target": target, "country": rng.choice(("FR", "CA", "US", "GB", "KZ")),
            "prefix": "".join(rng.choice("123456789") for _ in range(rng.randint(1, 4))),
            "reseller_id": rng.choice((1, 2)) if scope != "SYSTEM" else None,
            "account_id": rng.choice((10, 11, 20)) if scope in ("ACCOUNT", "SUBSCRIBER")
            else None,
        })
    wider = [r for r in rules if r["scope"] in ("SYSTEM", "RESELLER")]
    exceptions = [{"id": i, "account_id": 10, "restriction_id": r["id"]}
                  for i, r in enumerate(rng.sample(wider, min(10, len(wider))), start=1)]
    return rules, exceptions


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_trees_agree_with_a_naive_scan(seed: int) -> None:
    rng = random.Random(seed)
    rules, exceptions = _random_rules(rng, 200)
    ruleset = compile_rules(rules, exceptions)
    seen: set[str] = set()
    for _ in range(400):
        digits = "".join(rng.choice("123456789") for _ in range(11))
        account_id, reseller_id = rng.choice(((10, 1), (11, 1), (20, 2)))
        expected = naive_decide(rules, exceptions, account_id, reseller_id, digits)
        assert ruleset.decide(account_id, reseller_id, digits) == expected, digits
        tiers = naive_tiers(rules, exceptions, account_id, reseller_id, digits)
        assert ruleset.tiers(account_id, reseller_id, digits) == tiers, digits
        seen.update(m.level for m in tiers if m is not None)
        if expected is not None and expected.level == "SUBSCRIBER":
            # The subscriber tier decides only where the staff levels allow.
            assert tiers[0] is None or tiers[0].action == compiler.ALLOW
    assert {"SUBSCRIBER", "ACCOUNT", "RESELLER", "SYSTEM", "EXCEPTION"} <= seen


def test_exceptions_to_an_accounts_own_rules_are_ignored() -> None:
    """Only a wider rule is lifted: a stray exception row naming an account's own rule (the
    services refuse it) changes nothing, in the trees as in the naive scan."""
    rules = [{"id": 1, "scope": "SUBSCRIBER", "action": "DENY", "target": "PREFIX",
              "country": None, "prefix": "33", "reseller_id": 1, "account_id": 10}]
    exceptions = [{"id": 1, "account_id": 10, "restriction_id": 1}]
    found = compile_rules(rules, exceptions).decide(10, 1, "33123456789")
    assert found is not None and (found.level, found.action) == ("SUBSCRIBER", "DENY")
    assert naive_decide(rules, exceptions, 10, 1, "33123456789") == found
