"""A test plugin that says who is calling from test headers, for permission and node tests.

Never in plugins.toml: the real sign-in belongs to the identity area. ``X-Test-Role`` names the
role, ``X-Test-Reseller`` the tenant; the language comes from Accept-Language as it would from a
signed-in user's profile.
"""

from __future__ import annotations

from typing import Any

from gateway.contributions import Principal
from gateway.hookimpl import hookimpl
from gateway.i18n import negotiate

ROLE_HEADER = "x-test-role"
RESELLER_HEADER = "x-test-reseller"


@hookimpl
def gateway_principal(gateway: Any, request: Any) -> Any:
    role = request.headers.get(ROLE_HEADER)
    if not role:
        return None
    reseller = request.headers.get(RESELLER_HEADER)
    return Principal(
        role=role,
        user_id=1,
        reseller_id=int(reseller) if reseller else None,
        language=negotiate(request.headers.get("accept-language")),
    )
