"""Call restrictions: decisions per second of the compiled prefix trees against a naive scan of
every rule, over 10,000 rules, in the same process.

    .venv/bin/python -m bench.restrictions [--rules 10000] [--seconds 1.0]

No database: both sides decide on the same rows in memory, so the figure is the decision alone
(what ``services.decide`` adds is one primary-key read of the version stamp and the account's
test-mode flag).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

from plugins.restrictions.compiler import compile_rules, naive_decide
from plugins.restrictions.services import decide_compiled

COUNTRIES = ("FR", "CA", "US", "GB", "DE", "KZ", "RU", "JM", "IT", "BR", "IN", "CN")
RESELLERS = 20
ACCOUNTS_PER_RESELLER = 50


def make_rules(count: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A plausible mix: a few hundred system rules, the rest spread over resellers and their
    accounts; prefixes of 1 to 6 digits, one rule in 20 a country."""
    rules = []
    for rule_id in range(1, count + 1):
        scope = rng.choices(("SYSTEM", "RESELLER", "ACCOUNT"), weights=(5, 35, 60))[0]
        reseller = rng.randrange(RESELLERS)
        account = reseller * ACCOUNTS_PER_RESELLER + rng.randrange(ACCOUNTS_PER_RESELLER)
        country = rng.random() < 0.05
        rules.append({
            "id": rule_id, "scope": scope, "action": rng.choice(("ALLOW", "DENY")),
            "target": "COUNTRY" if country else "PREFIX",
            "country": rng.choice(COUNTRIES) if country else None, "area_code": None,
            "prefix": None if country else "".join(
                rng.choice("123456789") for _ in range(rng.randint(1, 6))),
            "reseller_id": reseller if scope != "SYSTEM" else None,
            "account_id": account if scope == "ACCOUNT" else None,
        })
    wider = [r for r in rules if r["scope"] != "ACCOUNT"]
    exceptions = []
    for exception_id, rule in enumerate(rng.sample(wider, min(200, len(wider))), start=1):
        reseller = rule["reseller_id"] if rule["reseller_id"] is not None else rng.randrange(
            RESELLERS)
        exceptions.append({"id": exception_id, "restriction_id": rule["id"],
                           "account_id": reseller * ACCOUNTS_PER_RESELLER
                           + rng.randrange(ACCOUNTS_PER_RESELLER)})
    return rules, exceptions


def rate(step: Callable[[int], object], seconds: float) -> tuple[float, int]:
    """Decisions per second of ``step(i)`` run for about ``seconds``."""
    done = 0
    start = time.perf_counter()
    while True:
        for _ in range(50):
            step(done)
            done += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed, done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    rng = random.Random(6)
    rules, exceptions = make_rules(args.rules, rng)
    started = time.perf_counter()
    ruleset = compile_rules(rules, exceptions)
    compile_ms = (time.perf_counter() - started) * 1000
    calls = [(account, account // ACCOUNTS_PER_RESELLER,
              "".join(rng.choice("123456789") for _ in range(11)))
             for account in (rng.randrange(RESELLERS * ACCOUNTS_PER_RESELLER)
                             for _ in range(4096))]

    def compiled(i: int) -> object:
        account, reseller, digits = calls[i % len(calls)]
        return decide_compiled(ruleset, account, reseller, "+" + digits)

    def naive(i: int) -> object:
        account, reseller, digits = calls[i % len(calls)]
        return naive_decide(rules, exceptions, account, reseller, digits)

    # Same answers first: a fast wrong answer is not a result.
    for account, reseller, digits in calls[:200]:
        expected = naive_decide(rules, exceptions, account, reseller, digits)
        assert ruleset.decide(account, reseller, digits) == expected

    fast, fast_n = rate(compiled, args.seconds)
    slow, slow_n = rate(naive, args.seconds)
    print(f"rules: {len(rules)} ({len(exceptions)} exceptions), compiled in {compile_ms:.0f} ms")
    print(f"compiled prefix trees: {fast:12,.0f} decisions/s  ({1e6 / fast:8.2f} us each, "
          f"{fast_n} runs)")
    print(f"naive scan:            {slow:12,.0f} decisions/s  ({1e6 / slow:8.2f} us each, "
          f"{slow_n} runs)")
    print(f"ratio: {fast / slow:,.0f}x")


if __name__ == "__main__":
    main()
