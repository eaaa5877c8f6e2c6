"""The compiled rules with several gateway processes: each process has its own RuleCache; a
change made through one is seen by the other on its next decision, because every change
replaces the version stamp in its own transaction."""

from __future__ import annotations

import pytest

from gateway.api import Problem
from gateway.contributions import Principal
from plugins.restrictions import services
from plugins.restrictions.models import (
    CallRestriction,
    RestrictionAction,
    RestrictionScope,
    RuleVersion,
)
from tests.support.identity_factory import make_tenant

SYSTEM_ADMIN = Principal(role="SYSTEM_ADMIN")
PARIS = "+33123456789"


async def test_a_change_through_one_process_is_seen_by_the_other(database: None) -> None:
    alpha = await make_tenant("Alpha")
    account = alpha.company
    first, second = services.RuleCache(), services.RuleCache()
    assert (await services.decide(account, PARIS, cache=first)).allowed
    assert (await services.decide(account, PARIS, cache=second)).allowed

    # "Process one" changes the rules (what a mutation served by it does).
    rule = await services.create_rule(SYSTEM_ADMIN, scope=RestrictionScope.RESELLER,
                                      action=RestrictionAction.DENY, prefix="33",
                                      reseller_id=alpha.reseller.id)
    seen = await services.decide(account, PARIS, cache=second)
    assert (seen.allowed, (seen.rule or {}).get("id")) == (False, rule.id)

    exception = await services.create_exception(SYSTEM_ADMIN, account.id, rule.id)
    assert (await services.decide(account, PARIS, cache=first)).reason == "EXCEPTION"
    assert (await services.decide(account, PARIS, cache=second)).reason == "EXCEPTION"

    await services.delete_exception(SYSTEM_ADMIN, exception.id)
    await services.update_rule(SYSTEM_ADMIN, rule.id, action=RestrictionAction.ALLOW)
    decision = await services.decide(account, PARIS, cache=first)
    assert (decision.allowed, decision.reason) == (True, "RESELLER_RULE")
    await services.delete_rule(SYSTEM_ADMIN, rule.id)
    assert (await services.decide(account, PARIS, cache=second)).reason == "NO_RULE"


async def test_unchanged_rules_are_not_rebuilt(database: None) -> None:
    alpha = await make_tenant("Alpha")
    cache = services.RuleCache()
    await services.create_rule(SYSTEM_ADMIN, scope=RestrictionScope.SYSTEM,
                               action=RestrictionAction.DENY, prefix="882")
    for _ in range(5):
        await services.decide(alpha.company, PARIS, cache=cache)
    assert cache.builds == 1
    await services.create_rule(SYSTEM_ADMIN, scope=RestrictionScope.SYSTEM,
                               action=RestrictionAction.DENY, prefix="883")
    await services.decide(alpha.company, PARIS, cache=cache)
    assert cache.builds == 2


async def test_a_check_interval_reads_the_stamp_at_most_that_often(database: None) -> None:
    alpha = await make_tenant("Alpha")
    now = [100.0]
    cache = services.RuleCache(check_interval=5, clock=lambda: now[0])
    assert (await services.decide(alpha.company, PARIS, cache=cache)).allowed
    await services.create_rule(SYSTEM_ADMIN, scope=RestrictionScope.SYSTEM,
                               action=RestrictionAction.DENY, prefix="33")
    now[0] += 1  # within the interval: the old rules still answer
    assert (await services.decide(alpha.company, PARIS, cache=cache)).allowed
    now[0] += 5
    assert not (await services.decide(alpha.company, PARIS, cache=cache)).allowed


async def test_an_emptied_version_table_still_forces_a_rebuild(database: None) -> None:
    alpha = await make_tenant("Alpha")
    cache = services.RuleCache()
    rule = await services.create_rule(SYSTEM_ADMIN, scope=RestrictionScope.SYSTEM,
                                      action=RestrictionAction.DENY, prefix="33")
    assert not (await services.decide(alpha.company, PARIS, cache=cache)).allowed
    await RuleVersion.all().delete()  # a restore, a truncated table
    await rule.delete()
    assert (await services.decide(alpha.company, PARIS, cache=cache)).allowed


async def test_a_purged_account_leaves_no_rule_and_caches_forget_it(database: None) -> None:
    alpha = await make_tenant("Alpha")
    cache = services.RuleCache()
    rule = await services.create_rule(SYSTEM_ADMIN, scope=RestrictionScope.ACCOUNT,
                                      action=RestrictionAction.DENY, prefix="33",
                                      account_id=alpha.company.id)
    wide = await services.create_rule(SYSTEM_ADMIN, scope=RestrictionScope.RESELLER,
                                      action=RestrictionAction.DENY, prefix="44",
                                      reseller_id=alpha.reseller.id)
    await services.create_exception(SYSTEM_ADMIN, alpha.company.id, wide.id)
    assert not (await services.decide(alpha.company, PARIS, cache=cache)).allowed
    stamp = await services.current_stamp()

    await services.forget_account(alpha.company.id)  # what gateway_account_purged calls

    rules, exceptions = await services.load_rows()
    assert [r["id"] for r in rules] == [wide.id] and exceptions == []
    assert await services.current_stamp() != stamp
    await services.decide(alpha.professional_account, PARIS, cache=cache)
    assert cache.ruleset is not None and rule.id not in cache.ruleset.rows


async def test_an_accounts_own_rule_changed_through_one_process_is_seen_by_the_other(
        database: None) -> None:
    alpha = await make_tenant("Alpha")
    company_admin = Principal(role="COMPANY_ADMIN", user_id=alpha.company_admin.id,
                              reseller_id=alpha.reseller.id, account_id=alpha.company.id)
    first, second = services.RuleCache(), services.RuleCache()
    await services.create_rule(SYSTEM_ADMIN, scope=RestrictionScope.RESELLER,
                               action=RestrictionAction.ALLOW, prefix="33",
                               reseller_id=alpha.reseller.id)
    assert (await services.decide(alpha.company, PARIS, cache=second)).allowed
    stamp = await services.current_stamp()

    # The company admin's change goes through "process one"; "process two" obeys it at once.
    rule = await services.create_rule(company_admin, scope=RestrictionScope.SUBSCRIBER,
                                      action=RestrictionAction.DENY, prefix="331")
    assert await services.current_stamp() != stamp
    seen = await services.decide(alpha.company, PARIS, cache=second)
    assert (seen.allowed, seen.reason, (seen.rule or {}).get("id")) == (
        False, "SUBSCRIBER_RULE", rule.id)
    assert (await services.decide(alpha.company, PARIS, cache=first)).reason == "SUBSCRIBER_RULE"

    await services.update_rule(company_admin, rule.id, prefix="44")
    assert (await services.decide(alpha.company, PARIS, cache=second)).allowed
    await services.update_rule(company_admin, rule.id, prefix="33")
    assert not (await services.decide(alpha.company, PARIS, cache=first)).allowed
    await services.delete_rule(company_admin, rule.id)
    decision = await services.decide(alpha.company, PARIS, cache=second)
    assert (decision.allowed, decision.reason) == (True, "RESELLER_RULE")
    assert second.builds == 4  # one rebuild per change it saw, no more


async def test_a_refused_own_rule_leaves_the_stamp_alone(database: None) -> None:
    """Over the cap, nothing is saved and the stamp (bumped first in the transaction) rolls
    back with it: caches are not rebuilt for nothing."""
    alpha = await make_tenant("Alpha")
    company_admin = Principal(role="COMPANY_ADMIN", user_id=alpha.company_admin.id,
                              reseller_id=alpha.reseller.id, account_id=alpha.company.id)
    await services.create_rule(company_admin, scope=RestrictionScope.SUBSCRIBER,
                               action=RestrictionAction.DENY, prefix="33")
    stamp = await services.current_stamp()
    limit = services.MAX_SUBSCRIBER_RULES
    services.MAX_SUBSCRIBER_RULES = 1
    try:
        with pytest.raises(Problem) as refused:
            await services.create_rule(company_admin, scope=RestrictionScope.SUBSCRIBER,
                                       action=RestrictionAction.DENY, prefix="34")
    finally:
        services.MAX_SUBSCRIBER_RULES = limit
    assert refused.value.code_name == "LIMIT_REACHED"
    assert await services.current_stamp() == stamp
    assert await CallRestriction.filter(account_id=alpha.company.id).count() == 1
