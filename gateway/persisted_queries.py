"""The dashboards' request path (issue 23): persisted queries and HTTP caching of read-only
answers.

Persisted queries follow Apollo's automatic persisted queries protocol: a request carries
``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}`` and no text; an unknown
hash answers ``PERSISTED_QUERY_NOT_FOUND``, the client then sends hash and text once, the
server checks that the text hashes to it and stores it. Documents live in the
``core_persisted_query`` table, so every process serving the same database shares them; each
process keeps the ones it used in memory (a hash names one text forever). The hash only
replaces the text: parsing, validation, limits and permissions run as usual.

``PERSISTED_QUERIES`` (setting): ``auto`` (default) as above; ``allowlist``: only documents
registered with ``gateway persisted-queries add FILE...`` run, by hash or by their exact
text, and clients cannot register any; ``off``: the extension is refused. At most
``PERSISTED_QUERIES_MAX`` automatically stored documents are kept (the oldest go first);
each is at most GRAPHQL_MAX_QUERY_LENGTH characters, as any query.

HTTP caching: an operation whose root fields all declare ``metadata={"http_cache": stamp}``
(``async stamp(context) -> str``: when their data last changed, e.g. the calls' import
counter) is a query answered with an ETag made of those stamps, the caller (user, role,
tenant, language) and the request (document hash, variables, operation name). A request
whose ``If-None-Match`` matches answers 304 after reading only the stamps: the fields are
not resolved. Tags are keyed with SECRET_KEY and only given with answers without errors, so a
304 goes only to the same caller that got the same answer for the same data.
``Cache-Control: private, no-cache`` (a shared cache must not keep it, a browser revalidates
each time) and ``Vary: Cookie, Authorization``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from collections import OrderedDict
from typing import Any

from graphql import OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLError
from tortoise import connections

from gateway.i18n import Text
from gateway.security import RequestRefused
from gateway.settings import Settings

TABLE = "core_persisted_query"
MODES = ("off", "auto", "allowlist")
HTTP_CACHE = "http_cache"  # the field metadata key naming a field's change stamp
# The documents each process keeps in memory (hash -> text, allowlisted).
MEMORY_ENTRIES = 1024
_HASH = re.compile(r"[0-9a-f]{64}")

NOT_FOUND = Text(
    en="PersistedQueryNotFound: no query is stored under this hash; send it again with its "
    "text.",
    fr="PersistedQueryNotFound : aucune requête n'est enregistrée sous ce hachage; envoyez-la "
    "de nouveau avec son texte.")
NOT_SUPPORTED = Text(
    en="PersistedQueryNotSupported: persisted queries are turned off here; send the query "
    "text.",
    fr="PersistedQueryNotSupported : les requêtes persistées sont désactivées ici; envoyez le "
    "texte de la requête.")
NOT_ALLOWED = Text(
    en="Only registered queries run here: this document is not on the server's allowlist.",
    fr="Seules les requêtes enregistrées sont exécutées ici : ce document n'est pas dans la "
    "liste autorisée du serveur.")
BAD_EXTENSION = Text(
    en='extensions.persistedQuery must be {{"version": 1, "sha256Hash": "<64 lowercase hex '
    'digits>"}}.',
    fr='extensions.persistedQuery doit être {{"version": 1, "sha256Hash": "<64 chiffres '
    'hexadécimaux en minuscules>"}}.')
HASH_MISMATCH = Text(
    en="provided sha256Hash does not match the query text.",
    fr="le sha256Hash fourni ne correspond pas au texte de la requête.")
TEXT_OVER_GET = Text(
    en="Query text over GET is turned off here: send a persisted query's hash, or POST.",
    fr="Le texte des requêtes par GET est désactivé ici : envoyez le hachage d'une requête "
    "persistée, ou utilisez POST.")


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class PendingLookup(str):
    """The query text of a request that sent only a hash, until :meth:`resolve` reads it."""

    sha256: str


def _placeholder(digest: str) -> PendingLookup:
    text = PendingLookup("{ __typename }")
    text.sha256 = digest
    return text


def requested_hash(extensions: Any) -> str | None:
    """The hash of ``extensions.persistedQuery``, checked; None without the extension."""
    if not isinstance(extensions, dict) or "persistedQuery" not in extensions:
        return None
    persisted = extensions["persistedQuery"]
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if (not isinstance(persisted, dict) or persisted.get("version") != 1
            or not isinstance(digest, str) or not _HASH.fullmatch(digest)):
        raise RequestRefused(400, "PERSISTED_QUERY_INVALID", BAD_EXTENSION)
    return digest


def mark(data: Any, settings: Settings, via_get: bool) -> Any:
    """Before the request's shape is checked: a hash without text gets a placeholder text
    (looked up by :meth:`PersistedQueries.resolve`); query text over GET is refused in
    production."""
    if not isinstance(data, dict):
        return data
    extensions = data.get("extensions")
    if via_get and isinstance(extensions, str):
        try:
            extensions = json.loads(extensions)
        except ValueError:
            raise RequestRefused(400, "PERSISTED_QUERY_INVALID", BAD_EXTENSION) from None
        data = {**data, "extensions": extensions}
    if via_get and settings.production and data.get("query"):
        raise RequestRefused(405, "METHOD_NOT_ALLOWED", TEXT_OVER_GET, {"Allow": "POST"})
    digest = requested_hash(extensions)
    if digest is not None and settings.persisted_queries == "off":
        raise RequestRefused(None, "PERSISTED_QUERY_NOT_SUPPORTED", NOT_SUPPORTED)
    if digest is not None and not data.get("query"):
        data = {**data, "query": _placeholder(digest)}
    return data


class PersistedQueries:
    """The documents stored under their hash, read through a per-process memory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._memory: OrderedDict[str, tuple[str, bool]] = OrderedDict()

    @property
    def mode(self) -> str:
        return self.settings.persisted_queries

    async def resolve(self, data: Any) -> None:
        """Put the request's document in ``data.query`` (a hash's stored text), storing a
        newly sent one (auto); refuse what the mode does not run."""
        digest = requested_hash(data.extensions)
        if isinstance(data.query, PendingLookup):
            found = await self._find(data.query.sha256)
            if found is None or (self.mode == "allowlist" and not found[1]):
                raise RequestRefused(None, "PERSISTED_QUERY_NOT_FOUND", NOT_FOUND)
            data.query = found[0]
            return
        if digest is not None and sha256(data.query) != digest:
            raise RequestRefused(400, "PERSISTED_QUERY_HASH_MISMATCH", HASH_MISMATCH)
        if self.mode == "allowlist":
            found = await self._find(digest or sha256(data.query))
            if found is None or not found[1]:
                raise RequestRefused(None, "PERSISTED_QUERY_NOT_ALLOWED", NOT_ALLOWED)
        elif digest is not None and self._remembered(digest) is None:
            await self._store(digest, data.query)

    def _remembered(self, digest: str) -> tuple[str, bool] | None:
        found = self._memory.get(digest)
        if found is not None:
            self._memory.move_to_end(digest)
        return found

    def _remember(self, digest: str, found: tuple[str, bool]) -> None:
        self._memory[digest] = found
        while len(self._memory) > MEMORY_ENTRIES:
            self._memory.popitem(last=False)

    async def _find(self, digest: str) -> tuple[str, bool] | None:
        found = self._remembered(digest)
        if found is not None:
            return found
        conn = connections.get("default")
        mark_ = "$1" if conn.capabilities.dialect == "postgres" else "?"
        rows = await conn.execute_query_dict(
            f"SELECT document, allowlisted FROM {TABLE} WHERE sha256 = {mark_}", [digest])
        if not rows:
            return None
        found = (rows[0]["document"], bool(rows[0]["allowlisted"]))
        if found[1] or self.mode != "allowlist":  # it may be registered later
            self._remember(digest, found)
        return found

    async def _store(self, digest: str, document: str) -> None:
        """Store an automatic persisted query, then keep only the newest
        ``persisted_queries_max`` automatic ones. Only documents that parse are stored."""
        try:
            parse(document)
        except GraphQLError:
            return  # executing it reports the syntax error; nothing worth keeping
        await store(digest, document, allowlisted=False)
        self._remember(digest, (document, False))
        await _trim(self.settings.persisted_queries_max)


async def store(digest: str, document: str, *, allowlisted: bool) -> bool:
    """Insert a document (an allowlisted one upgrades an automatic one); whether it was new."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    marks = ("$1", "$2", "$3") if postgres else ("?", "?", "?")
    flag: Any = allowlisted if postgres else int(allowlisted)
    before = await conn.execute_query_dict(
        f"SELECT allowlisted FROM {TABLE} WHERE sha256 = {marks[0]}", [digest])
    upgrade = "DO UPDATE SET allowlisted = excluded.allowlisted" if allowlisted else "DO NOTHING"
    await conn.execute_query(
        f"INSERT INTO {TABLE} (sha256, document, allowlisted) VALUES ({', '.join(marks)}) "
        f"ON CONFLICT (sha256) {upgrade}", [digest, document, flag])
    return not before or (allowlisted and not before[0]["allowlisted"])


async def _trim(most: int) -> None:
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    automatic = "NOT allowlisted" if postgres else "allowlisted = 0"
    mark_ = "$1" if postgres else "?"
    await conn.execute_query(
        f"DELETE FROM {TABLE} WHERE {automatic} AND sha256 NOT IN (SELECT sha256 FROM {TABLE} "
        f"WHERE {automatic} ORDER BY created_at DESC, sha256 LIMIT {mark_})", [most])


# ---- HTTP caching ---------------------------------------------------------------------------

def cache_stamps(schema: Any, document: str, operation_name: str | None) -> list[Any] | None:
    """The stamp functions of the operation's root fields when it is a query whose root
    fields all declare one; None otherwise (the answer is not cached). Worked out once per
    document: a dashboard sends the same few documents again and again."""
    found = _cache_stamps(schema, document, operation_name)
    return list(found) if found is not None else None


@functools.lru_cache(maxsize=1024)
def _cache_stamps(schema: Any, document: str, operation_name: str | None
                  ) -> tuple[Any, ...] | None:
    try:
        parsed = parse(document)
    except GraphQLError:
        return None
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return None
    query_type = schema._schema.query_type
    stamps: list[Any] = []
    for selection in operations[0].selection_set.selections:
        name = getattr(getattr(selection, "name", None), "value", None)
        if getattr(selection, "kind", "") != "field" or name is None or name == "__typename":
            return None  # fragments, directives' conditions: not worth the risk
        if getattr(selection, "directives", None):
            return None
        field = query_type.fields.get(name)
        definition = field.extensions.get("strawberry-definition") if field else None
        stamp = (getattr(definition, "metadata", None) or {}).get(HTTP_CACHE)
        if stamp is None:
            return None
        if stamp not in stamps:
            stamps.append(stamp)
    return tuple(stamps) or None


async def etag(stamps: list[Any], context: Any, document: str, variables: Any,
               operation_name: str | None) -> str:
    """A strong validator of the answer: the data's stamps, who asks, and what."""
    principal = context.principal
    caller = None if principal is None else [
        principal.user_id, principal.real_user_id, str(principal.role), principal.reseller_id,
        principal.account_id, principal.api_token_id]
    parts = [[await stamp(context) for stamp in stamps], caller, context.language,
             sha256(document), variables, operation_name]
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    # Keyed: nobody can compute a tag they were not given (and probe the stamps with it).
    key = context.host.settings.secret_key.encode()
    return f'"{hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()[:40]}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    # Not "*": it would answer 304 to anyone, without a tag given to them.
    candidates = [t.strip() for t in if_none_match.split(",")]
    return tag in candidates or f"W/{tag}" in candidates


CACHE_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Cookie, Authorization"}
