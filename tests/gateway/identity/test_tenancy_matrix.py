"""Every root Query and Mutation field, called as every kind of caller of reseller Alpha with
the objects of reseller Beta: no answer ever shows a Beta object, a field given a Beta id
answers not found (null, an empty list, a payload error), and nothing fails with a 500.

Arguments are built from the schema itself: each top-level argument type needs an entry in
ARGUMENTS (a new mutation's input type fails the test until it is added here); the leaves
inside inputs are filled from LEAVES, and every ID leaf gets Beta's ids in turn.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
)
from strawberry.relay import to_base64

from gateway.identity.models import ApiToken, AuditEntry, ResellerDelegate, User, UserRole
from gateway.identity.secrets import API_TOKEN_PREFIX, new_token, token_digest
from gateway.identity.sessions import open_session
from plugins.account_settings.models import MailboxKind, MailboxMessage
from tests.conftest import Gateway
from tests.support.identity_factory import (
    Tenant,
    make_account,
    make_tenant,
    make_user,
)

WRONG_PASSWORD = "Wrong-pass-1"
DEPTH = 3  # object levels selected under a root field


@dataclass
class World:
    alpha: Tenant
    beta: Tenant
    alpha_delegate: User
    alpha_token: str
    foreign: dict[str, list[str]] = field(default_factory=dict)  # kind -> Beta global ids
    exact: set[str] = field(default_factory=set)  # values no answer may contain
    texts: list[str] = field(default_factory=list)  # nor any text contain


# Top-level argument types (or "name:Type"): the values' overrides; the rest of a required
# input is filled from LEAVES. A field whose argument type is missing here fails the test.
ARGUMENTS: dict[str, Callable[[World], Any]] = {
    "ID": lambda w: None,  # an id: Beta's, in turn
    "token:String": lambda w: "gwl_not-a-link",
    "AccountKind": lambda w: "COMPANY",
    "AuditLogFilter": lambda w: {},
    "AccountFilter": lambda w: {"search": w.beta.company.name},
    "RerunJobInput": lambda w: {},
    "LoginInput": lambda w: {"login": w.beta.admin.login, "password": WRONG_PASSWORD},
    "ChangePasswordInput": lambda w: {"currentPassword": WRONG_PASSWORD,
                                      "newPassword": "Matrix-new-9"},
    "RequestPasswordResetInput": lambda w: {"login": w.beta.admin.login},
    "ResetPasswordInput": lambda w: {"token": "gwl_not-a-link", "newPassword": "Matrix-new-9"},
    "CreateApiTokenInput": lambda w: {"name": "matrix"},
    "RevokeApiTokenInput": lambda w: {},
    "CreateResellerInput": lambda w: {"name": "Matrix", "primaryAdmin": {
        "email": "matrix@matrix.example", "firstName": "M", "lastName": "X"}},
    "SetResellerPhoneSystemInput": lambda w: {"phoneSystem": "PBX", "defaultProvider": "P"},
    "UpdateResellerGeneralInfoInput": lambda w: {"city": "Matrix"},
    "UpdateAccountAdministratorInput": lambda w: {"email": w.beta.admin.email},
    "UpdateResellerBrandingInput": lambda w: {"supportEmail": "help@matrix.example"},
    "ResellerDelegateInput": lambda w: {},
    "StartDirectAccessInput": lambda w: {},
    "ChangeBillingStatusInput": lambda w: {"billingStatus": "IN_PRODUCTION"},
    "DeleteAccountInput": lambda w: {},
    "ReactivateAccountInput": lambda w: {},
    "SendAccountMessageInput": lambda w: {"kind": "CUSTOM", "subject": "S", "body": "B"},
    "ExportAccountsInput": lambda w: {"kind": "COMPANY", "format": "CSV"},
    "SaveSignupDraftInput": lambda w: {"kind": "COMPANY"},
    "SendSignupToClientInput": lambda w: {},
    "CompleteSignupInput": lambda w: {},
    "SaveSignupDraftAsClientInput": lambda w: {},
    "CompleteSignupAsClientInput": lambda w: {},
    # callcenter: Beta's CAN or account number is "not found" (an error, or a payload error).
    "CallStatisticsFilter": lambda w: {"billingNumber": w.beta.company.can},
    "StatisticsInterval": lambda w: "DAY",
    "CallRecorderFilter": lambda w: {"billingNumber": w.beta.company.can},
    "TakenMessageFilter": lambda w: {"billingNumber": w.beta.company.can},
    "BillableCallFilter": lambda w: {"billingNumber": w.beta.company.can},
    "CallCenterReport": lambda w: "RECORDER",
    "ReportFileFormat": lambda w: "CSV",
    "accountNumber:Int": lambda w: w.beta.company.id,
    "EmailCallCenterReportInput": lambda w: {
        "report": "RECORDER", "to": ["matrix@matrix.example"],
        "recorder": {"billingNumber": w.beta.company.can}},
    "SaveAccountInformationPageInput": lambda w: {"accountNumber": w.beta.company.id,
                                                  "title": "Matrix"},
    "RequestAccountInformationChangeInput": lambda w: {"accountNumber": w.beta.company.id,
                                                       "message": "matrix"},
    # Call restrictions: a valid number, so that only Beta's account id is what refuses.
    "CallRestrictionScope": lambda w: "ACCOUNT",
    "number:String": lambda w: "+15145550100",
    "CreateCallRestrictionInput": lambda w: {"scope": "ACCOUNT", "action": "DENY",
                                             "prefix": "33"},
    "UpdateCallRestrictionInput": lambda w: {"action": "ALLOW"},
    "DeleteCallRestrictionInput": lambda w: {},
    "CreateCallRestrictionExceptionInput": lambda w: {},
    "DeleteCallRestrictionExceptionInput": lambda w: {},
    # account_settings: only Beta's ids (account, reseller, user, number, device, contact) refuse.
    "ExtensionKind": lambda w: "USER",
    "MailboxKind": lambda w: "VOICEMAIL",
    "UpdateAccountOptionsInput": lambda w: {"sharedContactsLimit": 10},
    "AddPhoneNumberInput": lambda w: {"number": "+15145550100"},
    "ImportPhoneNumbersInput": lambda w: {"content": "+15145550100"},
    "AssignPhoneNumberInput": lambda w: {},
    "PhoneNumberOptionsInput": lambda w: {"sms": True},
    "ReleasePhoneNumberInput": lambda w: {},
    "RemovePoolPhoneNumberInput": lambda w: {},
    "AssignUserExtensionInput": lambda w: {},
    "ReserveExtensionInput": lambda w: {"kind": "GROUP"},
    "ReleaseExtensionInput": lambda w: {"extension": "500"},
    "AddDeviceInput": lambda w: {"name": "Matrix", "macAddress": "00:04:F2:00:00:01"},
    "RemoveDeviceInput": lambda w: {},
    "AddContactInput": lambda w: {"name": "Matrix", "phoneNumber": "+15145550100"},
    "UpdateContactInput": lambda w: {"name": "Matrix", "phoneNumber": "+15145550100"},
    "RemoveContactInput": lambda w: {},
    # affiliation: Beta's account (as the account and as the organisation) is not found.
    "AffiliateAccountInput": lambda w: {"notify": False},
    "UnaffiliateAccountInput": lambda w: {"notify": False},
}

# Fields that may succeed when given Beta ids, and why (each is a decision, not a default).
SUCCEEDS_EMPTY: dict[str, str] = {
    # exportAccounts names each Beta id NOT_FOUND (plugins/clients/schema.py _check_selected).
}

# Leaves inside inputs: "Type.field", "field:Type" or "Type".
LEAVES: dict[str, Any] = {
    "String": "matrix",
    "token:String": "gwl_not-a-link",
    "Int": 30,
    "Boolean": False,
    "DateTime": "2020-01-01T00:00:00Z",
    "PhoneNumber": "+15145550100",
    "Decimal": "1.00",
}


async def build_world() -> World:
    alpha = await make_tenant("Alpha Matrix")
    beta = await make_tenant("Beta Zulu Télécom")
    second = await make_account(alpha.reseller, name="Alpha Deuxième")
    delegate = await make_user(UserRole.COMPANY_ADMIN, reseller=alpha.reseller, account=second)
    await ResellerDelegate.create(reseller=alpha.reseller, user=delegate)
    token = new_token(API_TOKEN_PREFIX)
    await ApiToken.create(reseller=alpha.reseller, name="alpha", prefix=token[:12],
                          token_hash=token_digest(token), scopes=["*:write"])
    beta_token = await ApiToken.create(reseller=beta.reseller, name="beta secret integrator",
                                       prefix="gwt_betaXYZ", token_hash=token_digest("gwt_b"))
    beta_entry = await AuditEntry.create(
        reseller=beta.reseller, account=beta.company, actor=beta.admin,
        acting_as=beta.company_admin, action="DIRECT_ACCESS_START", operation="betaOnlyOp")
    for account in (beta.company, beta.professional_account):
        account.name = f"Beta Zulu account {account.id}"
        await account.save()
    world = World(alpha=alpha, beta=beta, alpha_delegate=delegate, alpha_token=token)
    accounts = [to_base64("Account", a.id) for a in (beta.company, beta.professional_account)]
    users = [to_base64("User", u.id) for u in (beta.company_admin, beta.admin)]
    resellers = [to_base64("Reseller", beta.reseller.id)]
    beta_voicemail = await MailboxMessage.create(
        account=beta.professional_account, user=beta.professional, kind=MailboxKind.VOICEMAIL,
        received_at=beta_entry.created_at, content_type="audio/wav", size=1,
        storage_key="beta-voicemail.wav", caller_name="Beta Zulu caller")
    others = [to_base64("ApiToken", beta_token.id), to_base64("AuditEntry", beta_entry.id),
              to_base64("MailboxMessage", beta_voicemail.id)]
    # An id of unknown kind ("id: ID!") gets one object of each type in turn.
    world.foreign = {"account": accounts, "user": users, "reseller": resellers,
                     "any": [accounts[0], users[0], *resellers, *others]}
    world.exact = {*accounts, *users, *resellers, *others, beta.reseller.can, beta.company.can,
                   beta.professional_account.can}
    world.texts = [beta.reseller.name, *(f"Beta Zulu account {a.id}" for a in
                                         (beta.company, beta.professional_account)),
                   *(u.login for u in (beta.admin, beta.company_admin, beta.employee,
                                       beta.professional)),
                   "beta secret integrator", "gwt_betaXYZ", "betaOnlyOp", "Beta Zulu caller"]
    return world


# ---- callers -------------------------------------------------------------------------------

Caller = Callable[[World], Awaitable[dict[str, str]]]


async def _session(user: User) -> dict[str, str]:
    _, token = await open_session(user)
    return {"Authorization": f"Bearer {token}"}


async def _inside(w: World) -> dict[str, str]:
    parent, _ = await open_session(w.alpha.admin)
    _, token = await open_session(w.alpha.admin, acting_account=w.alpha.company, parent=parent)
    return {"Authorization": f"Bearer {token}"}


async def _sysadmin(w: World) -> dict[str, str]:
    user = await User.filter(role=UserRole.SYSTEM_ADMIN).first()
    return await _session(user or await make_user(UserRole.SYSTEM_ADMIN))


CALLERS: dict[str, Caller] = {
    "anonymous": lambda w: _none(),
    "reseller admin": lambda w: _session(w.alpha.admin),
    "delegate": lambda w: _session(w.alpha_delegate),
    "company admin": lambda w: _session(w.alpha.company_admin),
    "employee": lambda w: _session(w.alpha.employee),
    "professional": lambda w: _session(w.alpha.professional),
    "integrator": lambda w: _bearer(w.alpha_token),
    "direct access": _inside,
    # Last: a system admin sees every tenant, so its calls only must not fail, and what it
    # changes in Beta must not matter to the callers before it.
    "system admin": _sysadmin,
}


async def _none() -> dict[str, str]:
    return {}


async def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---- arguments -----------------------------------------------------------------------------

def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _id_kind(name: str) -> str:
    lowered = name.lower()
    for kind in ("account", "reseller"):
        if kind in lowered:
            return kind
    if "user" in lowered or "actor" in lowered:
        return "user"
    return "any"


class _Args:
    """Builds one call's argument values; ``turn`` picks which Beta id each ID leaf gets."""

    def __init__(self, world: World, turn: int) -> None:
        self.world = world
        self.turn = turn
        self.kinds: set[str] = set()

    def foreign_id(self, name: str) -> str:
        kind = _id_kind(name)
        self.kinds.add(kind)
        ids = self.world.foreign[kind]
        return ids[self.turn % len(ids)]

    def value(self, type_: Any, name: str, override: Any = Undefined) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type, name, override)
        if isinstance(type_, GraphQLList):
            item = self.value(type_.of_type, name, Undefined)
            return override if override is not Undefined else [item]
        if isinstance(type_, GraphQLInputObjectType):
            return self.input(type_, override if isinstance(override, dict) else {})
        if override is not Undefined:
            return override
        if isinstance(type_, GraphQLScalarType) and type_.name == "ID":
            return self.foreign_id(name)
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values))
        for key in (f"{name}:{type_.name}", type_.name):
            if key in LEAVES:
                return LEAVES[key]
        raise AssertionError(f"no LEAVES entry for {name}: {type_.name}; add one")

    def input(self, type_: GraphQLInputObjectType, given: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, input_field in type_.fields.items():
            required = (isinstance(input_field.type, GraphQLNonNull)
                        and input_field.default_value is Undefined)
            is_id = getattr(_named(input_field.type), "name", "") == "ID"
            if name in given:
                values[name] = self.value(input_field.type, name, given[name])
            elif required or is_id:
                values[name] = self.value(input_field.type, name)
        return values


def _argument_key(name: str, type_: Any) -> str | None:
    named = _named(type_).name
    for key in (f"{name}:{named}", named):
        if key in ARGUMENTS:
            return key
    return None


def calls_for(root: str, name: str, gql_field: GraphQLField, world: World) -> list[dict[str, Any]]:
    """The variable sets to call a field with: one per Beta id its ID leaves take in turn."""
    calls: list[dict[str, Any]] = []
    turn = 0
    while True:
        args = _Args(world, turn)
        variables: dict[str, Any] = {}
        for arg_name, arg in gql_field.args.items():
            required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
            key = _argument_key(arg_name, arg.type)
            if key is None:
                assert not required, (
                    f"{root}.{name}({arg_name}: {arg.type}) has no entry in the tenancy matrix: "
                    f"add {_named(arg.type).name!r} (or '{arg_name}:{_named(arg.type).name}') "
                    "to ARGUMENTS in tests/gateway/identity/test_tenancy_matrix.py")
                continue
            given = ARGUMENTS[key](world)
            if given is None and not required and _named(arg.type).name != "ID":
                continue
            variables[arg_name] = args.value(arg.type, arg_name,
                                             Undefined if given is None else given)
        calls.append(variables)
        sizes = [len(world.foreign[k]) for k in args.kinds]
        turn += 1
        if not sizes or turn >= max(sizes):
            return calls


# ---- selections ----------------------------------------------------------------------------

def selection(type_: Any, schema: Any, depth: int = 0) -> str:
    named: GraphQLNamedType = _named(type_)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        possible = schema.get_possible_types(named)
        # Two types' same-named fields may differ in type: those get a per-type alias.
        types_of: dict[str, set[str]] = {}
        for concrete in possible:
            for name, child in concrete.fields.items():
                types_of.setdefault(name, set()).add(str(child.type))
        clashing = {name for name, types in types_of.items() if len(types) > 1}
        parts = ["__typename"]
        if isinstance(named, GraphQLInterfaceType):
            parts.append(_fields(named, schema, depth, clashing))
        parts += [f"... on {t.name} {{ {_fields(t, schema, depth, clashing, t.name)} }}"
                  for t in possible]
        return "{ " + " ".join(parts) + " }"
    return "{ " + (_fields(named, schema, depth) or "__typename") + " }"


def _fields(named: GraphQLObjectType | GraphQLInterfaceType, schema: Any, depth: int,
            clashing: set[str] | None = None, owner: str = "") -> str:
    parts = ["__typename"]
    for name, child in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
               for a in child.args.values()):
            continue
        leaf = isinstance(_named(child.type), GraphQLScalarType | GraphQLEnumType)
        head = f"{owner}_{name}: {name}" if clashing and name in clashing and owner else name
        if clashing and name in clashing and not owner:
            continue
        if leaf:
            parts.append(head)
        elif depth < DEPTH:
            parts.append(f"{head} {selection(child.type, schema, depth + 1)}")
    return " ".join(parts)


def _type_string(type_: Any) -> str:
    return str(type_)


def document(root: str, name: str, gql_field: GraphQLField, variables: dict[str, Any],
             schema: Any) -> str:
    definitions = ", ".join(f"${arg}: {_type_string(gql_field.args[arg].type)}"
                            for arg in variables)
    arguments = ", ".join(f"{arg}: ${arg}" for arg in variables)
    operation = "query" if root == "Query" else "mutation"
    head = f"{operation} Matrix({definitions})" if definitions else f"{operation} Matrix"
    call = f"{name}({arguments})" if arguments else name
    return f"{head} {{ {call} {selection(gql_field.type, schema, 1)} }}"


# ---- checks --------------------------------------------------------------------------------

def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _leaks(world: World, response: dict[str, Any]) -> list[str]:
    found = []
    for text in _strings(response):
        if text in world.exact:
            found.append(text)
        found += [marker for marker in world.texts if marker in text]
    return found


def _refused_or_empty(value: Any) -> bool:
    """Not found: null, an empty list or connection, or a payload that reports errors."""
    if value is None:
        return True
    if isinstance(value, list):
        return not value
    if isinstance(value, dict):
        if value.get("errors"):
            return True
        if "totalCount" in value:
            return value["totalCount"] == 0 and not value.get("edges") and not value.get("nodes")
    return False


async def test_no_field_shows_or_touches_another_tenants_objects(gateway: Gateway) -> None:
    world = await build_world()
    schema = gateway.app.state.schema._schema
    problems: list[str] = []
    calls = 0
    for caller, headers_for in CALLERS.items():
        for root_type in (schema.query_type, schema.mutation_type):
            root = root_type.name
            for name, gql_field in root_type.fields.items():
                for variables in calls_for(root, name, gql_field, world):
                    query = document(root, name, gql_field, variables, schema)
                    headers = await headers_for(world)
                    response = await gateway.graphql(query, variables, **headers)
                    calls += 1
                    where = f"{caller}: {root}.{name}({json.dumps(variables)[:200]})"
                    codes = [(e.get("extensions") or {}).get("code")
                             for e in response.get("errors", [])]
                    if "INTERNAL_ERROR" in codes or None in codes:
                        problems.append(f"{where} failed: {response['errors'][0]}")
                        continue
                    if "GRAPHQL_VALIDATION_FAILED" in codes or "GRAPHQL_PARSE_FAILED" in codes:
                        problems.append(f"{where}: the matrix built a bad document: "
                                        f"{response['errors'][0]['message']}")
                        continue
                    if caller == "system admin":
                        continue  # sees every tenant by design
                    leaked = _leaks(world, response)
                    if leaked:
                        problems.append(f"{where} showed Beta's {sorted(set(leaked))}")
                    takes_beta_id = any(i in json.dumps(variables) for i in world.exact)
                    value = (response.get("data") or {}).get(name)
                    if takes_beta_id and not _refused_or_empty(value) \
                            and name not in SUCCEEDS_EMPTY:
                        problems.append(f"{where} answered {json.dumps(value)[:300]}")
    assert calls > 100
    assert not problems, "\n".join(problems)


def test_the_matrix_knows_every_argument_type(settings: Any) -> None:
    """Fails fast (without a database) when a new field's argument type is missing."""
    from gateway.plugins import PluginHost
    from schema.build import build_schema

    schema = build_schema(PluginHost(settings))._schema
    world = World(alpha=None, beta=None, alpha_delegate=None, alpha_token="",  # type: ignore[arg-type]
                  foreign={k: ["X"] for k in ("account", "user", "reseller", "any")})
    for root_type in (schema.query_type, schema.mutation_type):
        for name, gql_field in root_type.fields.items():
            try:
                calls_for(root_type.name, name, gql_field, world)
            except AttributeError:
                pass  # an override reads the tenants; the database test builds those
