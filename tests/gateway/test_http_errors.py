"""Hostile and clumsy requests get a GraphQL error in JSON with a clear message and the status
GraphQL-over-HTTP asks for: never a 500, never a stack trace, never a plain-text body."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.observability import RequestIdFilter
from gateway.plugins import PluginHost, PluginSpec
from tests.conftest import Gateway, make_settings, start_gateway
from tests.support import ops_plugin

MAX_DEPTH = 5
MAX_ALIASES = 5
MAX_TOKENS = 200
ADMIN = {ops_plugin.ROLE_HEADER: "SYSTEM_ADMIN"}
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def ops_specs() -> list[PluginSpec]:
    return [PluginSpec(name="ops", module="tests.support.ops_plugin", source="built in")]


async def ops_gateway_for(
    migrated: str, tmp_path: Path, **overrides: Any
) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path, max_query_depth=MAX_DEPTH,
                             max_aliases=MAX_ALIASES, max_tokens=MAX_TOKENS, **overrides)
    async for running in start_gateway(settings, host=PluginHost(settings, specs=ops_specs()),
                                       run_jobs=False):
        yield running


@pytest.fixture
async def ops(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    ops_plugin.echoed.clear()
    async for running in ops_gateway_for(migrated, tmp_path):
        yield running


def assert_clean(response: httpx.Response) -> dict[str, Any]:
    """A JSON GraphQL error response, no trace, no 5xx; returns the body."""
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(
        ("application/json", GRAPHQL_RESPONSE_JSON)
    ), response.headers["content-type"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    body = response.json()
    assert isinstance(body, dict) and body["errors"], body
    for error in body["errors"]:
        assert isinstance(error["message"], str) and error["message"]
    return body


def the_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body = assert_clean(response)
    assert response.status_code == status, response.text
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    return error


def nested(depth: int) -> str:
    """A query of ``depth`` as the limiter counts it: ``{ folder { name } }`` is 1."""
    return "{ folder {" + " child {" * (depth - 1) + " name" + " }" * depth + " }"


# ---- malformed requests: 4xx, GraphQL error in JSON --------------------------------------


@pytest.mark.parametrize(
    ("content", "status", "code", "message"),
    [
        (b"{not json", 400, "BAD_REQUEST", "not valid JSON"),
        (b"", 400, "BAD_REQUEST", "not valid JSON"),
        (b'{"query": "\xff"}', 400, "BAD_REQUEST", "not valid JSON"),  # not UTF-8
        (b'"{ __typename }"', 400, "BAD_REQUEST", "must be a JSON object"),
        (b"42", 400, "BAD_REQUEST", "must be a JSON object"),
        (b"null", 400, "BAD_REQUEST", "must be a JSON object"),
        (b'{"variables": {}}', 400, "BAD_REQUEST", "has no GraphQL query"),
        (b'{"query": ""}', 400, "BAD_REQUEST", "has no GraphQL query"),
        (b'{"query": 5}', 400, "BAD_REQUEST", "query must be a string"),
        (b'{"query": "{ __typename }", "variables": [1]}', 400, "BAD_REQUEST",
         "variables must be a JSON object"),
        (b'{"query": "{ __typename }", "operationName": 5}', 400, "BAD_REQUEST",
         "operationName must be a string"),
        (b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]', 400,
         "BATCH_NOT_SUPPORTED", "one operation per request"),
    ],
    ids=["malformed", "empty", "not-utf8", "string", "number", "null", "missing-query",
         "empty-query", "query-not-string", "variables-list", "operation-name-number", "batch"],
)
async def test_a_malformed_body_is_refused_clearly(
    ops: Gateway, content: bytes, status: int, code: str, message: str
) -> None:
    response = await ops.client.post(
        "/graphql", content=content, headers={"content-type": "application/json"}
    )
    assert message in the_error(response, status, code)["message"]


async def test_refusals_are_in_the_callers_language(ops: Gateway) -> None:
    response = await ops.client.post(
        "/graphql", content=b"{not json",
        headers={"content-type": "application/json", "accept-language": "fr-CA,fr;q=0.9"},
    )
    assert "n'est pas du JSON valide" in the_error(response, 400, "BAD_REQUEST")["message"]


async def test_a_form_post_is_refused_and_not_run(ops: Gateway) -> None:
    mutation = 'mutation { echo(text: "from a form") }'
    for response in (
        await ops.client.post("/graphql", data={"query": mutation}),
        await ops.client.post("/graphql", content=f'{{"query": "{mutation}"}}'.encode(),
                              headers={"content-type": "text/plain"}),
        await ops.client.post("/graphql", files={"query": (None, mutation)}),
    ):
        error = the_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
        assert "application/json" in error["message"]
    assert ops_plugin.echoed == []


async def test_a_mutation_over_get_is_refused_with_405_and_not_run(ops: Gateway) -> None:
    response = await ops.client.get(
        "/graphql", params={"query": 'mutation { echo(text: "over GET") }'}
    )
    error = the_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in error["message"]
    assert response.headers["allow"] == "POST"
    assert ops_plugin.echoed == []
    # The same mutation over POST runs: the refusal was about the method only.
    result = await ops.graphql('mutation { echo(text: "over POST") }')
    assert result == {"data": {"echo": "over POST"}}
    assert ops_plugin.echoed == ["over POST"]


async def test_a_query_over_get_runs(ops: Gateway) -> None:
    response = await ops.client.get(
        "/graphql", params={"query": "query($n: Int!) { double(n: $n) }",
                            "variables": '{"n": 21}'},
    )
    assert response.status_code == 200 and response.json() == {"data": {"double": 42}}


async def test_bad_get_parameters_are_refused(ops: Gateway) -> None:
    bad_variables = await ops.client.get(
        "/graphql", params={"query": "{ __typename }", "variables": "{nope"}
    )
    assert "not valid JSON" in the_error(bad_variables, 400, "BAD_REQUEST")["message"]
    no_query = await ops.client.get("/graphql", headers={"accept": "application/json"})
    assert "no GraphQL query" in the_error(no_query, 400, "BAD_REQUEST")["message"]


async def test_other_methods_are_refused_with_allow(ops: Gateway) -> None:
    response = await ops.client.put("/graphql", json={"query": "{ __typename }"})
    the_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST"


async def test_an_unknown_operation_name_is_refused(ops: Gateway) -> None:
    """Under application/json a well-formed request answers 200, with the error (as other
    document errors do); the GraphQL media type gets 400."""
    request = {"query": "query A { __typename }", "operationName": "B"}
    response = await ops.client.post("/graphql", json=request)
    assert '"B"' in the_error(response, 200, "OPERATION_NOT_FOUND")["message"]
    french = await ops.client.post("/graphql", json=request, headers={"accept-language": "fr"})
    assert "opération nommée" in the_error(french, 200, "OPERATION_NOT_FOUND")["message"]
    strict = await ops.client.post("/graphql", json=request,
                                   headers={"accept": GRAPHQL_RESPONSE_JSON})
    the_error(strict, 400, "OPERATION_NOT_FOUND")


async def test_several_operations_need_an_operation_name(ops: Gateway) -> None:
    ops_plugin.echoed.clear()
    document = 'query A { __typename } mutation B { echo(text: "second") }'
    refused = await ops.client.post("/graphql", json={"query": document},
                                    headers={"Accept-Language": "fr"})
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "OPERATION_NAME_REQUIRED"
    assert "operationName" in error["message"] and "plusieurs" in error["message"]
    assert refused.json()["data"] is None and ops_plugin.echoed == []
    named = await ops.client.post("/graphql", json={"query": document, "operationName": "B"})
    assert named.json() == {"data": {"echo": "second"}}
    assert ops_plugin.echoed == ["second"]


async def test_a_cross_site_post_with_a_cookie_is_refused(ops: Gateway) -> None:
    mutation = {"query": 'mutation { echo(text: "csrf") }'}
    refused = await ops.client.post(
        "/graphql", json=mutation,
        headers={"origin": "https://evil.example", "cookie": "gw_session=stolen"},
    )
    assert "Origin" in the_error(refused, 403, "FORBIDDEN_ORIGIN")["message"]
    assert ops_plugin.echoed == []
    # Our own origin with a cookie, and a foreign origin without one (a token caller), pass.
    own = await ops.client.post("/graphql", json=mutation,
                                headers={"origin": "http://testserver", "cookie": "a=b"})
    token_caller = await ops.client.post("/graphql", json=mutation,
                                         headers={"origin": "https://app.example"})
    assert own.status_code == token_caller.status_code == 200
    assert ops_plugin.echoed == ["csrf", "csrf"]


# ---- documents that cannot run: 200 with application/json, 400 with the new media type ----


async def post(ops: Gateway, query: str, variables: dict[str, Any] | None = None,
               **headers: str) -> httpx.Response:
    return await ops.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers=headers)


def document_error(response: httpx.Response, code: str) -> str:
    """A GraphQL-over-HTTP (application/json) answer to a document that could not run."""
    body = assert_clean(response)
    assert response.status_code == 200
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    return str(error["message"])


async def test_an_unknown_field_is_a_validation_error(ops: Gateway) -> None:
    message = document_error(await post(ops, "{ nope }"), "GRAPHQL_VALIDATION_FAILED")
    assert "Cannot query field 'nope' on type 'Query'" in message


async def test_a_wrong_variable_type_is_bad_user_input(ops: Gateway) -> None:
    response = await post(ops, "query($n: Int!) { double(n: $n) }", {"n": "twenty"})
    message = document_error(response, "BAD_USER_INPUT")
    assert "$n" in message and "Int" in message
    too_big = await post(ops, "query($n: Int!) { double(n: $n) }", {"n": 10**20})
    assert "32-bit" in document_error(too_big, "BAD_USER_INPUT")


async def test_a_missing_or_unused_variable_is_told_apart_from_a_bad_value(
        ops: Gateway) -> None:
    missing = await post(ops, "query($n: Int!) { double(n: $n) }", {})
    assert "to be provided" in document_error(missing, "BAD_USER_INPUT")
    unused = await post(ops, "query($n: Int) { __typename }", {"n": 1})
    assert "never used" in document_error(unused, "GRAPHQL_VALIDATION_FAILED")


async def test_a_wrong_literal_type_is_a_validation_error(ops: Gateway) -> None:
    message = document_error(await post(ops, '{ double(n: "two") }'), "GRAPHQL_VALIDATION_FAILED")
    assert "Int" in message


async def test_a_syntax_error_is_a_parse_error(ops: Gateway) -> None:
    message = document_error(await post(ops, "{ double(n: 1 "), "GRAPHQL_PARSE_FAILED")
    assert message.startswith("Syntax Error")


async def test_an_oversized_query_is_refused(ops: Gateway) -> None:
    # Each __typename is one token, the braces two more.
    fits = "{" + " __typename" * (MAX_TOKENS - 2) + " }"
    assert (await post(ops, fits)).json() == {"data": {"__typename": "Query"}}
    too_big = "{" + " __typename" * (MAX_TOKENS - 1) + " }"
    message = document_error(await post(ops, too_big), "GRAPHQL_PARSE_FAILED")
    assert f"more than {MAX_TOKENS} tokens" in message


async def test_a_too_deep_query_is_refused(ops: Gateway) -> None:
    deepest = (await post(ops, nested(MAX_DEPTH))).json()
    assert deepest["data"]["folder"]["child"]["child"]["child"]["child"] == {
        "name": "root/child/child/child/child"
    }
    message = document_error(await post(ops, nested(MAX_DEPTH + 1)), "GRAPHQL_VALIDATION_FAILED")
    assert f"exceeds maximum operation depth of {MAX_DEPTH}" in message


async def test_a_too_deep_query_hidden_in_fragments_is_refused(ops: Gateway) -> None:
    query = """
    { folder { ...A } }
    fragment A on Folder { child { ...B } }
    fragment B on Folder { child { child { child { child { name } } } } }
    """
    message = document_error(await post(ops, query), "GRAPHQL_VALIDATION_FAILED")
    assert "exceeds maximum operation depth" in message


def aliases(count: int, prefix: str = "a") -> str:
    return " ".join(f"{prefix}{i}: __typename" for i in range(count))


async def test_too_many_aliases_are_refused(ops: Gateway) -> None:
    assert "data" in (await post(ops, "{ " + aliases(MAX_ALIASES) + " }")).json()
    response = await post(ops, "{ " + aliases(MAX_ALIASES + 1) + " }")
    message = document_error(response, "GRAPHQL_VALIDATION_FAILED")
    assert f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}" in message


async def test_aliases_hidden_in_fragments_are_counted(ops: Gateway) -> None:
    # 1 + 3 + 2 written, 8 once the fragments are spread (G twice): over the limit of 5.
    query = (
        "{ a: __typename ...F ...G } "
        "fragment F on Query { " + aliases(3, "f") + " ...G } "
        "fragment G on Query { " + aliases(2, "g") + " }"
    )
    message = document_error(await post(ops, query), "GRAPHQL_VALIDATION_FAILED")
    assert f"8 aliases found. Allowed: {MAX_ALIASES}" in message


async def test_a_page_above_the_cap_is_a_clear_error(ops: Gateway) -> None:
    cap = ops.app.state.settings.max_page_size
    query = "query($first: Int) { outboxJobs(first: $first) { totalCount } }"
    at_cap = await post(ops, query, {"first": cap}, **ADMIN)
    assert at_cap.json() == {"data": {"outboxJobs": {"totalCount": 0}}}
    above = await post(ops, query, {"first": cap + 1}, **ADMIN)
    body = assert_clean(above)
    [error] = body["errors"]
    assert error["message"] == f"first must be between 0 and {cap}."
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["path"] == ["outboxJobs"]
    french = await post(ops, query, {"first": cap + 1}, **ADMIN, **{"accept-language": "fr"})
    assert french.json()["errors"][0]["message"] == f"first doit être compris entre 0 et {cap}."


async def test_the_graphql_response_media_type_gets_400_for_documents_that_cannot_run(
    ops: Gateway,
) -> None:
    accept = {"accept": f"{GRAPHQL_RESPONSE_JSON}, application/json;q=0.9"}
    refused = await post(ops, "{ nope }", **accept)
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert "data" not in refused.json()
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # A field error happens while running: the document ran, so 200 with data.
    ran = await post(ops, "{ boom }", **accept)
    assert ran.status_code == 200 and ran.json()["data"] is None
    assert ran.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    ok = await post(ops, "{ double(n: 2) }", **accept)
    assert ok.status_code == 200 and ok.json() == {"data": {"double": 4}}
    malformed = await ops.client.post("/graphql", content=b"{", headers={
        "content-type": "application/json", **accept})
    assert malformed.status_code == 400
    assert malformed.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)


# ---- unexpected exceptions: masked for the client, traced in the log ---------------------


async def test_a_client_gone_mid_request_is_not_logged_as_an_error(
    ops: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that disconnects while its body is read (a closed tab, a load generator
    stopping) gets no answer and leaves one INFO line, not an error with a trace."""
    caplog.set_level(logging.INFO)
    messages = [{"type": "http.request", "body": b'{"query": "{ __typ', "more_body": True},
                {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": b"", "root_path": "", "server": ("testserver", 80),
             "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")]}
    await ops.app(scope, receive, send)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("client disconnected" in r.getMessage() for r in caplog.records)


async def test_an_unexpected_exception_is_masked_and_logged_with_its_request_id(
    ops: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await post(ops, "{ boom }")
    assert response.status_code == 200
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    request_id = response.headers["x-request-id"]
    [error] = response.json()["errors"]
    assert error == {
        "message": f"Unexpected internal error (request {request_id}).",
        "locations": [{"line": 1, "column": 3}],
        "path": ["boom"],
        "extensions": {"code": "INTERNAL_ERROR", "requestId": request_id},
    }
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.name == "gateway.graphql"
    assert getattr(record, "request_id") == request_id and request_id in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    assert "hunter2" in str(record.exc_info[1])
    assert ", in boom" in caplog.text  # the trace, down to the resolver's frame
    # The resolver's own log line, before it failed, names the same request.
    [before] = [r for r in caplog.records if r.getMessage() == "about to fail on purpose"]
    assert getattr(before, "request_id", None) in (None, request_id)


async def test_the_masked_message_is_in_french_when_asked(ops: Gateway) -> None:
    response = await post(ops, "{ boom }", **{"accept-language": "fr"})
    request_id = response.headers["x-request-id"]
    [error] = response.json()["errors"]
    assert error["message"] == f"Erreur interne inattendue (requête {request_id})."
    assert error["extensions"] == {"code": "INTERNAL_ERROR", "requestId": request_id}


async def test_a_callers_mistake_is_logged_without_a_trace(
    ops: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await post(ops, "{ nope }")
    records = [r for r in caplog.records if r.name.startswith(("gateway.graphql", "strawberry"))]
    assert records and all(r.levelno < logging.WARNING and r.exc_info is None for r in records)


# ---- X-Request-ID ------------------------------------------------------------------------


async def test_a_request_id_is_generated_when_absent(ops: Gateway) -> None:
    first = await ops.client.get("/healthz")
    second = await ops.client.get("/healthz")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]


async def test_a_client_request_id_is_logged_beside_ours_never_instead(
    ops: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    sent = "client-4f1c.9_A"
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())  # as configure_logging's handler has
    response = await post(ops, "{ boom }", **{"x-request-id": sent})
    [ours] = response.headers.get_list("x-request-id")
    assert re.fullmatch(r"[0-9a-f]{32}", ours)
    assert response.json()["errors"][0]["extensions"]["requestId"] == ours
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.request_id == ours and failure.client_request_id == sent  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "sent", ["short", "x" * 65, "has spaces in it", "semi;colon-123", "quote\"d-123456",
             "élan-1234567"],
)
async def test_an_insane_client_request_id_is_replaced(ops: Gateway, sent: str) -> None:
    response = await ops.client.get("/healthz", headers={"x-request-id": sent.encode()})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


# ---- production and development --------------------------------------------------------


@pytest.fixture
async def production(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    async for running in ops_gateway_for(migrated, tmp_path, env="production"):
        yield running


async def test_production_turns_introspection_and_the_ide_off(production: Gateway) -> None:
    introspection = await post(production, "{ __schema { queryType { name } } }")
    body = assert_clean(introspection)
    assert body.get("data") is None
    assert "introspection" in body["errors"][0]["message"].lower()
    page = await production.client.get("/graphql", headers={"accept": "text/html"})
    assert "<html" not in page.text.lower()
    error = the_error(page, 404, "NOT_FOUND")
    assert "IDE" in error["message"]
    # Nor does a typo get the schema spelled out.
    assert "Did you mean" not in document_error(await post(production, "{ nod }"),
                                                "GRAPHQL_VALIDATION_FAILED")
    # Queries still run.
    assert (await post(production, "{ double(n: 4) }")).json() == {"data": {"double": 8}}


async def test_development_serves_graphiql_and_introspection(
    migrated: str, tmp_path: Path
) -> None:
    async for running in ops_gateway_for(migrated, tmp_path, env="development"):
        page = await running.client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "graphiql" in page.text.lower()
        schema = await post(running, "{ __schema { queryType { name } } }")
        assert schema.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        assert "Did you mean 'node'" in (await post(running, "{ nod }")).text


async def test_a_refused_variable_value_is_not_logged(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    """graphql-core repeats a bad variable's value in its message; the log must not."""
    caplog.set_level(logging.DEBUG)
    secret = "Hunter2-secret!"
    result = await gateway.graphql(
        "query($id: ID!, $first: Int) "
        "{ outboxJobs(first: $first) { totalCount } node(id: $id) { id } }",
        {"id": "x", "first": secret},
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert secret not in caplog.text
    assert "redacted" in caplog.text
