"""Core identity tables (app ``core``): every plugin may reference them as ``core.<Model>``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class AccountKind(StrEnum):
    COMPANY = "COMPANY"
    PROFESSIONAL = "PROFESSIONAL"


class BillingStatus(StrEnum):
    FREE_TRIAL = "FREE_TRIAL"
    IN_PRODUCTION = "IN_PRODUCTION"
    BILLING_SUSPENDED = "BILLING_SUSPENDED"
    UNSUBSCRIBED = "UNSUBSCRIBED"


class UserRole(StrEnum):
    """A person's own role; a company admin may in addition be a reseller's delegate."""

    SYSTEM_ADMIN = "SYSTEM_ADMIN"
    RESELLER_ADMIN = "RESELLER_ADMIN"
    COMPANY_ADMIN = "COMPANY_ADMIN"
    EMPLOYEE = "EMPLOYEE"
    PROFESSIONAL = "PROFESSIONAL"


class Reseller(Model):
    """A reseller (tenant): everything it owns is reachable from its id."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    spid = fields.CharField(max_length=64, null=True)
    can = fields.CharField(max_length=20, unique=True)  # generated, immutable
    default_language = fields.CharField(max_length=2, default="fr")
    address = fields.CharField(max_length=200, default="")
    city = fields.CharField(max_length=100, default="")
    country = fields.CharField(max_length=2, default="CA")
    state = fields.CharField(max_length=100, default="")
    postal_code = fields.CharField(max_length=20, default="")
    phone_system = fields.CharField(max_length=100, default="")  # set by a system admin
    default_provider = fields.CharField(max_length=100, default="")  # set by a system admin
    primary_admin: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    primary_admin_id: int | None
    # logo, favicon, colours, support email/phone
    branding: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "core_reseller"


class Account(Model):
    """A subscriber account: a company (CID) or a professional (UID)."""

    id = fields.IntField(primary_key=True)  # the CID / UID shown to people
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name="accounts", on_delete=fields.RESTRICT
    )
    reseller_id: int
    kind = fields.CharEnumField(AccountKind, max_length=16)
    name = fields.CharField(max_length=200)
    can = fields.CharField(max_length=20, unique=True)  # generated, immutable
    # ORGID: the organisation's account id; null while unaffiliated (ORGID = own id).
    organization: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name="affiliates", null=True, on_delete=fields.SET_NULL
    )
    organization_id: int | None
    language = fields.CharField(max_length=2, default="fr")
    time_zone = fields.CharField(max_length=64, default="America/Toronto")
    country = fields.CharField(max_length=2, default="CA")
    email = fields.CharField(max_length=254, default="")
    phone_number = fields.CharField(max_length=20, null=True)  # the contact phone
    # The virtual receptionist's number: the account's earliest number from the reseller's pool
    # still held (kept by the account settings plugin); null while it has none.
    receptionist_number = fields.CharField(max_length=20, null=True)
    billing_status = fields.CharEnumField(
        BillingStatus, max_length=20, default=BillingStatus.FREE_TRIAL
    )
    trial_ends_at = fields.DatetimeField(null=True)
    unsubscribed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "core_account"
        indexes = [
            Index(fields=("reseller_id", "kind", "billing_status")),
            Index(fields=("organization_id",)),
            Index(fields=("reseller_id", "receptionist_number")),
        ]

    @property
    def org_id(self) -> int:
        """ORGID as the seeds show it: the organisation's id, or the account's own."""
        return self.organization_id or self.id


class User(Model):
    """A person who can sign in. ``login`` and ``email`` are stored lower-case."""

    id = fields.IntField(primary_key=True)
    role = fields.CharEnumField(UserRole, max_length=20)
    reseller: fields.ForeignKeyNullableRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    reseller_id: int | None
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    account_id: int | None
    login = fields.CharField(max_length=254, unique=True)
    email = fields.CharField(max_length=254, unique=True)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    language = fields.CharField(max_length=2, default="fr")
    phone = fields.CharField(max_length=20, null=True)
    extension = fields.CharField(max_length=10, null=True)  # poste, within the account ranges
    password_hash = fields.CharField(max_length=255, null=True)  # never leaves the services
    pin_hash = fields.CharField(max_length=255, null=True)
    is_active = fields.BooleanField(default=True)
    password_changed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "core_user"
        indexes = [Index(fields=("reseller_id", "role")), Index(fields=("account_id",))]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.login


class ResellerDelegate(Model):
    """A company admin (or its delegate) granted delegated reseller-admin rights."""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name="delegates", on_delete=fields.CASCADE
    )
    reseller_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="delegations", on_delete=fields.CASCADE
    )
    user_id: int
    granted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    granted_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_reseller_delegate"
        unique_together = (("reseller", "user"),)


class Session(Model):
    """A server-side session: the client holds only a random token, stored hashed."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    # Direct access: this session acts inside ``acting_account`` and returns to ``parent``.
    acting_account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, null=True, on_delete=fields.CASCADE
    )
    acting_account_id: int | None
    parent: fields.ForeignKeyNullableRelation[Session] = fields.ForeignKeyField(
        "core.Session", related_name=False, null=True, on_delete=fields.CASCADE
    )
    parent_id: int | None
    client_address = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()  # absolute cap
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_session"
        indexes = [Index(fields=("user_id", "ended_at"))]


def _read_only() -> list[str]:
    return ["*:read"]


class ApiToken(Model):
    """An integrator token, scoped to one reseller, of which only the hash is kept. Its
    ``scopes`` (``<area>:read`` / ``<area>:write``, ``*`` for every area) bound the root fields it
    may call; it stops working at ``expires_at``."""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name="api_tokens", on_delete=fields.CASCADE
    )
    reseller_id: int
    name = fields.CharField(max_length=100)
    prefix = fields.CharField(max_length=16)  # shown in lists, to recognise a token
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    # Read-only everywhere unless said otherwise (gateway.identity.scopes.DEFAULT_SCOPES);
    # null (never written so: a column added to existing rows) allows nothing.
    scopes: fields.JSONField[list[str] | None] = fields.JSONField(default=_read_only,
                                                                   null=True)
    expires_at = fields.DatetimeField(null=True)  # null: never (none is created so)

    class Meta:
        table = "core_api_token"
        indexes = [Index(fields=("reseller_id", "revoked_at"))]


class OneTimeTokenPurpose(StrEnum):
    RESET_PASSWORD = "RESET_PASSWORD"
    SET_PASSWORD = "SET_PASSWORD"


class OneTimeToken(Model):
    """A single-use, expiring link token (password reset, first password)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="one_time_tokens", on_delete=fields.CASCADE
    )
    user_id: int
    purpose = fields.CharEnumField(OneTimeTokenPurpose, max_length=20)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_one_time_token"


class LoginThrottle(Model):
    """Failed sign-in attempts in the current window, per login and per client address."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=300, unique=True)  # "login:<login>" or "addr:<ip>"
    failures = fields.IntField(default=0)
    window_started_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "core_login_throttle"


class AuditEntry(Model):
    """Append-only: direct access start/end (and refused attempts), every mutation made inside
    it, by an API token or by staff (system admin, reseller admin or delegate)."""

    id = fields.BigIntField(primary_key=True)
    reseller: fields.ForeignKeyNullableRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    reseller_id: int | None
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    account_id: int | None
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    actor_id: int | None
    acting_as: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    acting_as_id: int | None
    session_id = fields.IntField(null=True)
    api_token_id = fields.IntField(null=True)  # the integrator's token that made the mutation
    action = fields.CharField(max_length=64)  # DIRECT_ACCESS_START, DIRECT_ACCESS_END, MUTATION…
    operation = fields.CharField(max_length=200, default="")
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    request_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_audit_entry"
        indexes = [
            Index(fields=("reseller_id", "created_at")),
            Index(fields=("account_id", "created_at")),
            Index(fields=("actor_id", "created_at")),
        ]


class ResellerImage(Model):
    """A branding image (logo or favicon) uploaded by a reseller, served by the gateway."""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE
    )
    reseller_id: int
    kind = fields.CharField(max_length=16)  # logo, favicon
    content_type = fields.CharField(max_length=64)
    digest = fields.CharField(max_length=64)  # sha256 of data: the URL names it, caches keep it
    data = fields.BinaryField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_reseller_image"
        unique_together = (("reseller", "kind"),)


# What the GraphQL nodes of the core read of a row (one query for a whole page): services that
# hand rows to them (administrators, delegate candidates, the audit log) select the same.
RESELLER_COLUMNS = ("id", "name", "spid", "can", "default_language", "address", "city",
                    "country", "state", "postal_code", "phone_system", "default_provider",
                    "primary_admin_id", "branding", "created_at")
ACCOUNT_COLUMNS = ("id", "reseller_id", "kind", "name", "can", "organization_id", "language",
                   "time_zone", "country", "email", "phone_number", "receptionist_number",
                   "billing_status", "trial_ends_at", "unsubscribed_at", "created_at")
USER_COLUMNS = ("id", "role", "reseller_id", "account_id", "login", "email", "first_name",
                "last_name", "language", "phone", "extension", "is_active", "created_at")
