"""Call restrictions: decisions per second of the compiled prefix trees against a naive scan of
every rule, over 10,000 rules, in the same process.

    .venv/bin/python -m bench.restrictions [--quick] [--set rules=10000] [--set seconds=2]

No database: both sides decide on the same rows in memory, so the figure is the decision alone
(what ``services.decide`` adds is one primary-key read of the version stamp and the account's
test-mode flag).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from bench.support import Options, Row, main_for, note
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


def measure(rule_count: int, seconds: float) -> dict[str, float]:
    """Decisions per second of the compiled trees and of the naive scan, on the same calls,
    after checking that both give the same answers."""
    rng = random.Random(6)
    rules, exceptions = make_rules(rule_count, rng)
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

    fast, fast_n = rate(compiled, seconds)
    slow, slow_n = rate(naive, seconds)
    return {"rules": len(rules), "exceptions": len(exceptions), "compile_ms": compile_ms,
            "compiled": fast, "compiled_runs": fast_n, "naive": slow, "naive_runs": slow_n}


def run(options: Options) -> list[Row]:
    rule_count = int(options.size("rules", 10_000, 10_000))
    seconds = float(options.size("seconds", 2.0, 0.5))
    m = measure(rule_count, seconds)
    note(f"restrictions: {m['rules']:,} rules ({m['exceptions']} exceptions) compiled in "
         f"{m['compile_ms']:.0f} ms; compiled {m['compiled']:,.0f}/s, naive {m['naive']:,.0f}/s")
    return [Row("Decisions", f"call-restriction decisions/s, {m['rules']:,} rules",
                f"{m['compiled']:,.0f}/s ({1e6 / m['compiled']:.1f} µs each)",
                f"naive scan {m['naive']:,.0f}/s", m["compiled"] / m["naive"],
                "compiled prefix trees, in memory")]


if __name__ == "__main__":
    main_for("restrictions", run, __doc__.splitlines()[0])
