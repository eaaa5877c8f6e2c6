"""The compiled rules: one prefix tree per level, and the decision walk over them.

Nothing here touches the database: ``compile_rules`` turns rows (plain dicts) into a
``RuleSet`` and ``RuleSet.decide`` answers in microseconds. ``services`` owns when a RuleSet is
rebuilt; ``naive_decide`` is the reference the tests and the benchmark compare it with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers.phonemetadata import PhoneMetadata

ALLOW = "ALLOW"
DENY = "DENY"

# The staff levels, most specific first: the order of the decision walk.
EXCEPTION = "EXCEPTION"
ACCOUNT = "ACCOUNT"
RESELLER = "RESELLER"
SYSTEM = "SYSTEM"
LEVELS = (EXCEPTION, ACCOUNT, RESELLER, SYSTEM)
# The subscriber's own tier: asked only when the staff levels allow, so it only narrows.
SUBSCRIBER = "SUBSCRIBER"

# How deep the digits of a country's leading-digits pattern are searched.
MAX_LEADING_DIGITS = 6


class UnknownCountry(ValueError):
    """The ISO code is not a country phonenumbers knows, or its prefixes cannot be told."""


# --- Countries to calling-code prefixes -------------------------------------------------------

class _Unbounded(Exception):
    """The pattern may match more characters than :func:`_widest` can bound."""


def _widest(pattern: str) -> int:
    """The most characters a match of ``pattern`` can take, read in the grammar phonenumbers'
    leading-digits patterns are written in: characters, escapes such as ``\\d``,
    ``[classes]``, ``(?:groups)``, ``|`` and the ``?``/``{n}``/``{n,m}`` quantifiers. Anything
    else (``*``, a lookaround...) answers ``MAX_LEADING_DIGITS``: too high a bound only makes
    the search longer, never different."""
    try:
        width, end = _alternatives(pattern, 0)
    except _Unbounded:
        return MAX_LEADING_DIGITS
    return width if end == len(pattern) else MAX_LEADING_DIGITS


def _alternatives(pattern: str, at: int) -> tuple[int, int]:
    widest = 0
    while True:
        width, at = _sequence(pattern, at)
        widest = max(widest, width)
        if at == len(pattern) or pattern[at] != "|":
            return widest, at
        at += 1


def _sequence(pattern: str, at: int) -> tuple[int, int]:
    total = 0
    while at < len(pattern) and pattern[at] not in "|)":
        width, at = _atom(pattern, at)
        repeat, at = _quantifier(pattern, at)
        total += width * repeat
    return total, at


def _atom(pattern: str, at: int) -> tuple[int, int]:
    char = pattern[at]
    if char == "(":
        if pattern.startswith("(?", at) and not pattern.startswith("(?:", at):
            raise _Unbounded  # a lookaround or a flag
        width, at = _alternatives(pattern, at + (3 if pattern.startswith("(?:", at) else 1))
        if at == len(pattern):
            raise _Unbounded
        return width, at + 1  # the ")"
    if char == "[":
        return 1, _class_end(pattern, at)
    if char == "\\":
        escaped = pattern[at + 1:at + 2]
        if not escaped or (escaped.isalnum() and escaped not in "dDsSwW"):
            raise _Unbounded  # \b, \A, a back reference...
        return 1, at + 2
    if char in "*+?{":
        raise _Unbounded
    return (0, at + 1) if char in "^$" else (1, at + 1)


def _class_end(pattern: str, at: int) -> int:
    """Where the character class opening at ``at`` ends (after its "]")."""
    index = at + 1
    if pattern[index:index + 1] == "^":
        index += 1
    if pattern[index:index + 1] == "]":  # "[]...]": the first "]" is a member
        index += 1
    while index < len(pattern):
        if pattern[index] == "\\":
            index += 2
        elif pattern[index] == "]":
            return index + 1
        else:
            index += 1
    raise _Unbounded


def _quantifier(pattern: str, at: int) -> tuple[int, int]:
    """How many times the atom before ``at`` may repeat, at most."""
    if at == len(pattern):
        return 1, at
    if pattern[at] == "?":
        return 1, at + 1
    if pattern[at] in "*+":
        raise _Unbounded
    if pattern[at] == "{":
        end = pattern.find("}", at)
        bounds = pattern[at + 1:end].split(",") if end > 0 else []
        if len(bounds) not in (1, 2) or not bounds[-1].isdigit():
            raise _Unbounded
        return int(bounds[-1]), end + 1
    return 1, at


def _expand_leading_digits(pattern: str) -> list[str]:
    """The shortest digit strings every number starting with which matches ``pattern``
    (phonenumbers' leading-digits regexes are matched at the start of the national number)."""
    compiled = re.compile(pattern)
    # No match is longer than the pattern's widest: the search stops there.
    max_depth = min(_widest(pattern), MAX_LEADING_DIGITS)
    found: list[str] = []
    frontier = [""]
    for _ in range(max_depth):
        frontier = [s + d for s in frontier for d in "0123456789"]
        unmatched = []
        for candidate in frontier:
            if compiled.match(candidate):
                found.append(candidate)
            else:
                unmatched.append(candidate)
        frontier = unmatched
    return found


@lru_cache(maxsize=8)
def _nanp_area_codes() -> dict[str, str]:
    """NANP area code (3 digits) -> region, read from phonenumbers' patterns: regions without
    leading digits (Canada) are only told apart from the US by their area codes."""
    owners: dict[str, str] = {}
    for npa in range(200, 1000):
        for subscriber in ("2345678", "5550123", "7654321"):
            region = phonenumbers.region_code_for_number(
                phonenumbers.parse(f"+1{npa}{subscriber}"))
            if region and region != "US":
                owners[str(npa)] = region
                break
    return owners


def _complement(root: str, taken: set[str]) -> list[str]:
    """Prefixes under ``root`` that cover every number except those under ``taken``."""
    if root in taken:
        return []
    if not any(t.startswith(root) and t != root for t in taken):
        return [root]
    return [p for digit in "0123456789" for p in _complement(root + digit, taken)]


@lru_cache(maxsize=512)
def country_prefixes(iso: str) -> tuple[str, ...]:
    """The E.164 digit prefixes (no ``+``) of a country's numbers.

    A country alone on its calling code is that code (FR: 33). Countries sharing a code are
    told apart by phonenumbers' leading digits (KZ: 76, 77 within +7; Caribbean area codes
    within +1) or, in North America, by the area codes phonenumbers assigns to them (CA: 1514,
    1416, ...); the code's main country (US, RU, GB, IT...) is the rest of the code."""
    iso = iso.upper()
    code = phonenumbers.country_code_for_region(iso)
    if not code:
        raise UnknownCountry(iso)
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    prefix = str(code)
    if len(regions) == 1:
        return (prefix,)

    def own(region: str) -> list[str] | None:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is not None and metadata.leading_digits:
            return [prefix + s for s in _expand_leading_digits(metadata.leading_digits)]
        if code == 1 and region != "US":
            return [prefix + npa for npa, owner in _nanp_area_codes().items() if owner == region]
        return None  # told apart by full-number patterns only

    metadata = PhoneMetadata.metadata_for_region(iso)
    if metadata is not None and metadata.main_country_for_code:
        taken = {p for region in regions if region != iso for p in own(region) or ()}
        return tuple(_complement(prefix, taken))
    mine = own(iso)
    if not mine:
        raise UnknownCountry(iso)
    return tuple(sorted(mine))


def area_code_prefix(iso: str, area_code: str) -> str:
    """Calling code + area code (CA, 514 -> 1514); a national trunk prefix typed in front of
    the area code (0 in France: 01) is dropped."""
    iso = iso.upper()
    code = phonenumbers.country_code_for_region(iso)
    if not code:
        raise UnknownCountry(iso)
    metadata = PhoneMetadata.metadata_for_region(iso)
    trunk = metadata.national_prefix if metadata is not None else None
    if trunk and area_code.startswith(trunk) and len(area_code) > len(trunk):
        area_code = area_code[len(trunk):]
    return f"{code}{area_code}"


# --- Rules and the prefix tree -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Match:
    """What decided at one level: the rule (and for an exception, the exception) and why."""

    level: str
    action: str
    prefix: str
    rule_id: int
    exception_id: int | None = None


class _Node:
    __slots__ = ("children", "entry")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entry: Match | None = None


class PrefixTree:
    """Digits to the rule at the longest matching prefix; DENY wins a tie on one prefix."""

    __slots__ = ("root", "size")

    def __init__(self) -> None:
        self.root = _Node()
        self.size = 0

    def add(self, match: Match) -> None:
        node = self.root
        for digit in match.prefix:
            child = node.children.get(digit)
            if child is None:
                child = node.children[digit] = _Node()
            node = child
        if node.entry is None or _beats(match, node.entry):
            node.entry = match
        self.size += 1

    def longest(self, digits: str) -> Match | None:
        node = self.root
        best = None
        for digit in digits:
            child = node.children.get(digit)
            if child is None:
                break
            node = child
            if node.entry is not None:
                best = node.entry
        return best


def _beats(new: Match, old: Match) -> bool:
    """On one prefix: DENY before ALLOW, then the oldest rule (lowest id), so the answer
    does not depend on the order rows were read in."""
    if new.action != old.action:
        return new.action == DENY
    return (new.rule_id, new.exception_id or 0) < (old.rule_id, old.exception_id or 0)


def rule_prefixes(row: dict[str, Any]) -> tuple[str, ...]:
    """The prefixes a rule row covers (a country rule covers several)."""
    if row["target"] == "COUNTRY":
        return country_prefixes(row["country"])
    return (row["prefix"],)


def _opposite(action: str) -> str:
    return ALLOW if action == DENY else DENY


def settle(staff: Match | None, own: Match | None) -> Match | None:
    """The deciding match of the two tiers: what the staff levels deny stays denied; what
    they allow (or leave to the default) the subscriber's own rule, if one matches, decides."""
    if staff is not None and staff.action == DENY:
        return staff
    return own if own is not None else staff


@dataclass
class RuleSet:
    """Every rule of the installation compiled into trees: one for the system level, one per
    reseller, one per account, one per account for its exceptions, and one per account for
    its subscriber tier."""

    system: PrefixTree
    resellers: dict[int, PrefixTree]
    accounts: dict[int, PrefixTree]
    exceptions: dict[int, PrefixTree]
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # rule id -> row, to explain
    subscribers: dict[int, PrefixTree] = field(default_factory=dict)

    @property
    def rule_count(self) -> int:
        return len(self.rows)

    def tiers(self, account_id: int, reseller_id: int,
              digits: str) -> tuple[Match | None, Match | None]:
        """(the staff levels' match, the subscriber tier's match) for an E.164 number."""
        staff = None
        for tree in (self.exceptions.get(account_id), self.accounts.get(account_id),
                     self.resellers.get(reseller_id), self.system):
            if tree is not None:
                staff = tree.longest(digits)
                if staff is not None:
                    break
        own_tree = self.subscribers.get(account_id)
        return staff, own_tree.longest(digits) if own_tree is not None else None

    def decide(self, account_id: int, reseller_id: int, digits: str) -> Match | None:
        """The deciding match for an E.164 number (digits, no ``+``), or None: no rule."""
        return settle(*self.tiers(account_id, reseller_id, digits))


def compile_rules(rules: Iterable[dict[str, Any]],
                  exceptions: Iterable[dict[str, Any]]) -> RuleSet:
    """Build the trees from rule rows (id, scope, action, target, country, prefix,
    reseller_id, account_id) and exception rows (id, account_id, restriction_id).

    An exception lifts its rule for one account: at the exception level, for the numbers the
    rule covers, it answers the opposite of the rule (lifting a DENY allows)."""
    ruleset = RuleSet(system=PrefixTree(), resellers={}, accounts={}, exceptions={})
    by_id = ruleset.rows
    for row in rules:
        by_id[row["id"]] = row
        scope = row["scope"]
        if scope == SYSTEM:
            tree = ruleset.system
        elif scope == RESELLER:
            tree = ruleset.resellers.setdefault(row["reseller_id"], PrefixTree())
        elif scope == SUBSCRIBER:
            tree = ruleset.subscribers.setdefault(row["account_id"], PrefixTree())
        else:
            tree = ruleset.accounts.setdefault(row["account_id"], PrefixTree())
        for prefix in rule_prefixes(row):
            tree.add(Match(scope, row["action"], prefix, row["id"]))
    for row in exceptions:
        rule = by_id.get(row["restriction_id"])
        if rule is None or rule["scope"] not in (SYSTEM, RESELLER):
            continue  # only a wider rule is lifted (the services refuse any other)
        tree = ruleset.exceptions.setdefault(row["account_id"], PrefixTree())
        for prefix in rule_prefixes(rule):
            tree.add(Match(EXCEPTION, _opposite(rule["action"]), prefix, rule["id"], row["id"]))
    return ruleset


def naive_tiers(rules: list[dict[str, Any]], exceptions: list[dict[str, Any]],
                account_id: int, reseller_id: int,
                digits: str) -> tuple[Match | None, Match | None]:
    """``RuleSet.tiers`` by scanning every rule: the reference the compiled trees must agree
    with."""
    lifted = {e["restriction_id"]: e["id"] for e in exceptions if e["account_id"] == account_id}
    candidates: dict[str, list[Match]] = {level: [] for level in (*LEVELS, SUBSCRIBER)}
    for row in rules:
        scope = row["scope"]
        applies = (scope == SYSTEM or (scope == RESELLER and row["reseller_id"] == reseller_id)
                   or (scope in (ACCOUNT, SUBSCRIBER) and row["account_id"] == account_id))
        for prefix in rule_prefixes(row):
            if not digits.startswith(prefix):
                continue
            if row["id"] in lifted and scope in (SYSTEM, RESELLER):
                candidates[EXCEPTION].append(Match(EXCEPTION, _opposite(row["action"]), prefix,
                                                   row["id"], lifted[row["id"]]))
            if applies:
                candidates[scope].append(Match(scope, row["action"], prefix, row["id"]))

    def best(found: list[Match]) -> Match:
        return min(found, key=lambda m: (-len(m.prefix), m.action != DENY, m.rule_id,
                                         m.exception_id or 0))

    staff = next((best(candidates[level]) for level in LEVELS if candidates[level]), None)
    own = best(candidates[SUBSCRIBER]) if candidates[SUBSCRIBER] else None
    return staff, own


def naive_decide(rules: list[dict[str, Any]], exceptions: list[dict[str, Any]],
                 account_id: int, reseller_id: int, digits: str) -> Match | None:
    """The same decision by scanning every rule: the reference the compiled trees must agree
    with, and the benchmark's baseline."""
    return settle(*naive_tiers(rules, exceptions, account_id, reseller_id, digits))
