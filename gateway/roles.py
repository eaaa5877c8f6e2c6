"""Who may do what: the roles a caller can have, and the groups fields are declared with."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SYSTEM_ADMIN = "SYSTEM_ADMIN"
    RESELLER_ADMIN = "RESELLER_ADMIN"
    RESELLER_DELEGATE = "RESELLER_DELEGATE"
    COMPANY_ADMIN = "COMPANY_ADMIN"
    EMPLOYEE = "EMPLOYEE"
    PROFESSIONAL = "PROFESSIONAL"
    INTEGRATOR = "INTEGRATOR"  # an API token of a reseller


# Not a role: ``allow(ANONYMOUS)`` admits every caller, signed in or not.
ANONYMOUS = "ANONYMOUS"

RESELLER_STAFF = (Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE)
# Who acts for one reseller: its staff and its API tokens.
RESELLER_SIDE = (*RESELLER_STAFF, Role.INTEGRATOR)
# Who manages subscribers: system admins, the reseller's staff and its API tokens.
STAFF = (Role.SYSTEM_ADMIN, *RESELLER_SIDE)
SUBSCRIBERS = (Role.COMPANY_ADMIN, Role.EMPLOYEE, Role.PROFESSIONAL)
SIGNED_IN = (*STAFF, *SUBSCRIBERS)
