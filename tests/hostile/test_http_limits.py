"""Issue 15, the HTTP/GraphQL boundary: what an anonymous caller on the open internet could do
to /graphql and /metrics (items 1, 2, 9, 10, 15, 19, 20), each refused with a coded error
before anything runs."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType

from schema.limits import BoundedCache
from tests.conftest import Gateway
from tests.gateway.test_http_errors import (
    ADMIN,
    GRAPHQL_RESPONSE_JSON,
    assert_clean,
    ops_gateway_for,
    post,
    the_error,
)
from tests.support import ops_plugin

BODY_LIMIT = 4096


@pytest.fixture
async def small(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The ops gateway with small limits, to reach them cheaply."""
    ops_plugin.echoed.clear()
    async for running in ops_gateway_for(
        migrated, tmp_path, max_body_bytes=BODY_LIMIT, max_query_length=1000, max_cost=1000,
        document_cache_entries=4, document_cache_bytes=3000,
    ):
        yield running


@pytest.fixture
async def production(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    ops_plugin.echoed.clear()
    async for running in ops_gateway_for(migrated, tmp_path, env="production",
                                         public_url="https://gateway.example"):
        yield running


# ---- 1. request size ------------------------------------------------------------------------


async def test_a_declared_body_over_the_limit_is_refused_with_413(small: Gateway) -> None:
    padding = "x" * BODY_LIMIT
    response = await small.client.post(
        "/graphql", json={"query": 'mutation { echo(text: "big") }', "variables": {"p": padding}})
    error = the_error(response, 413, "REQUEST_TOO_LARGE")
    assert str(BODY_LIMIT) in error["message"]
    assert ops_plugin.echoed == []


async def test_a_streamed_body_is_cut_off_at_the_limit_unread(small: Gateway) -> None:
    """Chunked, no Content-Length: refused once the limit is passed, the rest never read."""
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "mutation { echo(text: \\"streamed\\") }", "variables": {"p": "'
        for index in range(1000):  # 1 MB in all
            sent.append(index)
            yield b"y" * 1024
        yield b'"}}'

    response = await small.client.post("/graphql", content=chunks(),
                                       headers={"content-type": "application/json"})
    the_error(response, 413, "REQUEST_TOO_LARGE")
    assert len(sent) < 10, "the body was read past the limit"
    assert ops_plugin.echoed == []


async def test_a_body_under_the_limit_runs(small: Gateway) -> None:
    response = await post(small, "{ double(n: 2) }")
    assert response.json() == {"data": {"double": 4}}


async def test_the_query_text_is_capped(small: Gateway) -> None:
    long_query = "{ double(n: 2) " + " " * 1000 + "}"
    refused = await post(small, long_query)
    assert "1000" in the_error(refused, 413, "QUERY_TOO_LONG")["message"]
    over_get = await small.client.get("/graphql", params={"query": long_query})
    the_error(over_get, 413, "QUERY_TOO_LONG")


def _document_cache(gateway: Gateway) -> BoundedCache:
    [factory] = [e for e in gateway.app.state.schema.extensions if hasattr(e, "cache")]
    cache: BoundedCache = factory.cache
    return cache


async def test_the_document_cache_is_bounded_by_entries_and_bytes(small: Gateway) -> None:
    cache = _document_cache(small)
    for n in range(10):
        assert (await post(small, f"{{ double(n: {n}) }}")).json()["data"] == {"double": 2 * n}
    assert len(cache) == 4
    for n in range(3):
        padded = f"{{ double(n: {n}) " + " " * 900 + "}"
        assert (await post(small, padded)).json()["data"] == {"double": 2 * n}
    assert cache.bytes <= 3000 and len(cache) <= 4
    # A cached document still answers (and is validated once, the errors kept).
    for _ in range(2):
        response = await post(small, "{ nope }")
        assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_bounded_cache_drops_the_least_recently_used() -> None:
    cache = BoundedCache(max_entries=3, max_bytes=100)
    for key in "abc":
        cache.put(key, key.upper(), 10)
    assert cache.get("a") == "A"  # a is now the most recent
    cache.put("d", "D", 10)
    assert cache.get("b") is None and len(cache) == 3
    cache.put("big", "B", 85)  # 30 + 85 > 100: the oldest go until it fits
    assert cache.bytes <= 100 and cache.get("big") == "B"
    cache.put("huge", "H", 101)  # larger than the whole budget: not kept
    assert cache.get("huge") is None and cache.bytes <= 100


# ---- 2. cost budget --------------------------------------------------------------------------


def _aliases(count: int, first: str) -> str:
    header = "query($n: Int) { " if "$n" in first else "query { "
    return header + " ".join(
        f"a{i}: outboxJobs({first}) {{ edges {{ node {{ id }} }} }}" for i in range(count)
    ) + " }"


async def test_a_costly_query_is_refused_before_anything_runs(
    small: Gateway, count_queries: Any
) -> None:
    # 4 aliases x 100 rows x 3 levels > 1000: refused without one SQL statement.
    with count_queries() as statements:
        refused = await post(small, _aliases(4, "first: 100"), None, **ADMIN)
    assert len(statements) == 0, statements
    body = assert_clean(refused)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    assert error["extensions"]["maxCost"] == 1000 and error["extensions"]["cost"] > 1000
    assert "first" in error["message"]
    french = await post(small, _aliases(4, "first: 100"), None,
                        **ADMIN, **{"accept-language": "fr"})
    assert "coûterait" in french.json()["errors"][0]["message"]


async def test_first_from_variables_is_counted(small: Gateway) -> None:
    query = _aliases(4, "first: $n")
    small_pages = await post(small, query, {"n": 10}, **ADMIN)
    assert "errors" not in small_pages.json(), small_pages.text
    big_pages = await post(small, query, {"n": 100}, **ADMIN)
    assert big_pages.json()["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"


async def test_a_list_without_first_is_counted_at_its_page_cap(small: Gateway) -> None:
    refused = await post(small, _aliases(4, "after: null"), None, **ADMIN)
    assert refused.json()["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"


async def test_aliases_hidden_in_fragments_are_counted(small: Gateway) -> None:
    query = ("fragment Page on Query { x: outboxJobs(first: 100) { nodes { id status } } } "
             "query { ...Page a: outboxJobs(first: 100) { nodes { id status } } "
             "... on Query { b: outboxJobs(first: 100) { nodes { id status } } } "
             "c: outboxJobs(first: 100) { nodes { id status } } }")
    refused = await post(small, query, None, **ADMIN)
    assert refused.json()["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"


def test_every_list_of_the_composed_schema_is_paged_or_counted_at_the_cap(
    full_gateway: Gateway,
) -> None:
    """Every list field the schema exposes (all plugins) is either a page (``first``, capped by
    the page size) or counted at the page cap by the budget: none is free."""
    from schema.limits import _Cost  # noqa: PLC2701

    settings = full_gateway.app.state.settings
    schema = full_gateway.app.state.schema._schema
    cost = _Cost(schema, {}, {}, settings.max_page_size, settings.max_cost)
    lists = 0
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            node = _field_node(name)
            size, page = cost._size(node, field, in_page=False)
            if "first" in field.args:
                assert page and size == settings.max_page_size, f"{type_.name}.{name}"
            elif "[" in str(field.type):
                lists += 1
                assert size == settings.max_page_size, f"{type_.name}.{name}"
    assert lists > 10


def _field_node(name: str) -> Any:
    from graphql import parse

    return parse(f"{{ {name} }}").definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]


# ---- 9. production discloses nothing of the schema ------------------------------------------


def _schema_names(gateway: Gateway) -> set[str]:
    names: set[str] = set()
    for type_ in gateway.app.state.schema._schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        names.add(type_.name)
        if isinstance(type_, GraphQLObjectType | GraphQLInputObjectType):
            for field_name, field in type_.fields.items():
                names.add(field_name)
                names.update(getattr(field, "args", {}) or {})
        if isinstance(type_, GraphQLEnumType):
            names.update(type_.values)
    return names - {"Int", "Float", "String", "Boolean", "ID"}


PROBES = [
    ("{ nod }", None),  # a field
    ("{ double(m: 1) }", None),  # an argument
    ("{ folder }", None),  # a missing selection names the type
    ("{ double(n: 1) { x } }", None),  # a selection on a scalar
    ("{ ... on Foldr { name } }", None),  # a type
    ("query($x: Foldr) { double(n: 1) }", None),  # a variable's type
    ("query($x: Strin) { double(n: 1) }", None),
    ("{ folder { nme } }", None),
    ("{ double }", None),  # a required argument not given
    ('{ double(n: "two") }', None),  # a wrong literal
    ("query($n: String) { double(n: $n) }", {"n": "x"}),  # a variable in the wrong place
    ("query($o: OutboxStatus) { double(n: 1) }", {"o": "PENDNG"}),  # an enum value
    ("query($j: OutboxJobFilter) { double(n: 1) }", {"j": {"statu": "x"}}),  # input field
]


@pytest.mark.parametrize(("query", "variables"), PROBES)
async def test_production_names_nothing_the_caller_did_not_type(
    production: Gateway, query: str, variables: dict[str, Any] | None
) -> None:
    response = await post(production, query, variables)
    body = assert_clean(response)
    typed = set(re.findall(r"[_A-Za-z][_0-9A-Za-z]*", query + json.dumps(variables or {})))
    leaked = _schema_names(production) - typed
    for error in body["errors"]:
        message = error["message"]
        assert "did you mean" not in message.lower(), message
        quoted = {n for q in re.findall(r"'([^']*)'", message)
                  for n in re.findall(r"[_A-Za-z][_0-9A-Za-z]*", q)}
        assert not quoted & leaked, message


async def test_development_keeps_its_hints(migrated: str, tmp_path: Path) -> None:
    async for running in ops_gateway_for(migrated, tmp_path, env="development"):
        message = (await post(running, "{ folder }")).json()["errors"][0]["message"]
        assert "Folder" in message


async def test_production_refuses_queries_over_get(production: Gateway) -> None:
    response = await production.client.get("/graphql", params={"query": "{ double(n: 1) }"})
    error = the_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in error["message"] and "persist" in error["message"]
    assert response.headers["allow"] == "POST"
    assert (await post(production, "{ double(n: 1) }")).json() == {"data": {"double": 2}}


async def test_the_origin_check_trusts_public_url_not_the_requests_host(
    production: Gateway,
) -> None:
    mutation = {"query": 'mutation { echo(text: "rebound") }'}
    # A page on evil.example whose name resolves to the gateway: Host and Origin agree.
    rebound = await production.client.post("/graphql", json=mutation, headers={
        "host": "evil.example", "origin": "http://evil.example", "cookie": "gw_session=x"})
    the_error(rebound, 403, "FORBIDDEN_ORIGIN")
    assert ops_plugin.echoed == []
    own = await production.client.post("/graphql", json=mutation, headers={
        "host": "internal:8000", "origin": "https://gateway.example", "cookie": "a=b"})
    assert own.json() == {"data": {"echo": "rebound"}}
    # Origins are compared as browsers send them: the scheme's default port is implied, case
    # does not matter; another port is another origin.
    for same in ("https://gateway.example:443", "HTTPS://Gateway.Example"):
        response = await production.client.post("/graphql", json=mutation, headers={
            "origin": same, "cookie": "a=b"})
        assert response.json() == {"data": {"echo": "rebound"}}, same
    other_port = await production.client.post("/graphql", json=mutation, headers={
        "origin": "https://gateway.example:8443", "cookie": "a=b"})
    the_error(other_port, 403, "FORBIDDEN_ORIGIN")


# ---- 10. text that cannot be encoded ---------------------------------------------------------


ECHO = "mutation($t: String!) { echo(text: $t) }"


@pytest.mark.parametrize(
    "body",
    [
        '{"query": "ECHO", "variables": {"t": "a\\ud800b"}}',
        '{"query": "ECHO", "variables": {"t": "\\udfff"}}',
        '{"query": "mutation { echo(text: \\"\\\\ud800\\") }"}',  # escaped in the literal
        '{"query": "mutation { echo(text: \\"\\ud800\\") }"}',  # raw in the literal
        '{"query": "ECHO", "variables": {"t": "ok", "x\\ud800": 1}}',  # a name
        '{"query": "ECHO", "operationName": "\\ud800", "variables": {"t": "ok"}}',
    ],
    ids=["variable", "low-surrogate", "escaped-literal", "raw-literal", "variable-name",
         "operation-name"],
)
async def test_a_lone_surrogate_is_bad_user_input(small: Gateway, body: str) -> None:
    body = body.replace("ECHO", ECHO)
    response = await small.client.post("/graphql", content=body.encode(),
                                       headers={"content-type": "application/json"})
    body_json = assert_clean(response)
    assert response.status_code == 200
    assert body_json["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body_json
    assert ops_plugin.echoed == []


# ---- 15. /metrics, labels, Content-Type, request ids -----------------------------------------


async def test_metrics_are_off_in_production_without_a_token(production: Gateway) -> None:
    assert (await production.client.get("/metrics")).status_code == 404


async def test_metrics_need_the_token_when_one_is_set(migrated: str, tmp_path: Path) -> None:
    async for running in ops_gateway_for(migrated, tmp_path, env="production",
                                         metrics_token="s3cret-metrics-token"):
        anonymous = await running.client.get("/metrics")
        assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["www-authenticate"]
        wrong = await running.client.get("/metrics", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await running.client.get(
            "/metrics", headers={"authorization": "Bearer s3cret-metrics-token"})
        assert right.status_code == 200 and "gateway_http_requests" in right.text


async def test_anonymous_callers_cannot_fill_the_operation_labels(small: Gateway) -> None:
    for n in range(5):
        await post(small, f"query Flood{n}x {{ double(n: 1) }}")
    await post(small, "query SignedIn { double(n: 1) }", None, **ADMIN)
    await post(small, "query SignedIn { double(n: 1) }")  # a known name is reused
    text = (await small.client.get("/metrics")).text
    assert "Flood" not in text
    assert re.search(r'operation="SignedIn",outcome="ok"\} 2', text), text


@pytest.mark.parametrize("content_type", ["Application/JSON", "APPLICATION/json; charset=UTF-8"])
async def test_the_content_type_is_matched_case_insensitively(
    small: Gateway, content_type: str
) -> None:
    response = await small.client.post("/graphql", content=b'{"query": "{ double(n: 3) }"}',
                                       headers={"content-type": content_type})
    assert response.json() == {"data": {"double": 6}}


# ---- 19. subscriptions over HTTP -------------------------------------------------------------


async def test_a_subscription_over_http_is_refused_clearly(small: Gateway) -> None:
    query = 'subscription { jobStatusChanged(id: "T3V0Ym94Sm9iOjE=") { id } }'
    response = await post(small, query, None, **ADMIN)
    error = the_error(response, 200, "SUBSCRIPTION_OVER_HTTP")
    assert "WebSocket" in error["message"]
    strict = await post(small, query, None, **ADMIN, accept=GRAPHQL_RESPONSE_JSON)
    the_error(strict, 400, "SUBSCRIPTION_OVER_HTTP")


# ---- 20. Accept q-values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type", "status"),
    [
        (f"{GRAPHQL_RESPONSE_JSON};q=0, application/json", "application/json", 200),
        (f"application/json;q=0.5, {GRAPHQL_RESPONSE_JSON};q=0.9", GRAPHQL_RESPONSE_JSON, 400),
        (f"{GRAPHQL_RESPONSE_JSON};q=0.4, application/json;q=0.8", "application/json", 200),
        ("*/*", "application/json", 200),
        (f"{GRAPHQL_RESPONSE_JSON}, */*;q=0.1", GRAPHQL_RESPONSE_JSON, 400),
    ],
)
async def test_accept_q_values_choose_the_media_type(
    small: Gateway, accept: str, media_type: str, status: int
) -> None:
    response = await post(small, "{ nope }", accept=accept)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(media_type)


@pytest.mark.parametrize("accept", ["application/json;q=0", "text/plain",
                                    f"{GRAPHQL_RESPONSE_JSON};q=0, */*;q=0"])
async def test_nothing_acceptable_is_406(small: Gateway, accept: str) -> None:
    response = await post(small, "{ double(n: 1) }", accept=accept)
    the_error(response, 406, "NOT_ACCEPTABLE")
