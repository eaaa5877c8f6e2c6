"""GraphQL of a reseller's branding (seeds: Marque): read it (subscribers see their reseller's),
change it (the reseller's staff). The rules are in :mod:`gateway.identity.branding`."""

from __future__ import annotations

from typing import Annotated, Self

import strawberry

from gateway.identity import branding
from gateway.identity.types import ResellerError, sent_fields
from gateway.roles import RESELLER_STAFF, SIGNED_IN
from schema.mutations import field, mutation
from schema.node import listed_pk


@strawberry.type(name="ResellerBranding", description="How a reseller presents itself to its "
                 "subscribers (seeds: Marque): logo, favicon, colours and technical support.")
class ResellerBrandingType:
    reseller_name: str = strawberry.field(description="The reseller's name, to show beside "
                                          "the logo.")
    logo_url: str | None = strawberry.field(description="An https URL (given, or the gateway's "
                                            "for an uploaded image).")
    favicon_url: str | None = strawberry.field(
        description="The browser tab icon: an https URL (given, or the gateway's for an "
        "uploaded image); null when none is set.")
    primary_color: str | None = strawberry.field(
        description="The main colour, #RRGGBB (e.g. #1A73E8); null for the default.")
    secondary_color: str | None = strawberry.field(
        description="The accent colour, #RRGGBB; null for the default.")
    support_email: str | None = strawberry.field(description="Technical support email shown to "
                                                 "subscribers.")
    support_phone: str | None = strawberry.field(description="Technical support phone (E.164) "
                                                 "shown to subscribers.")

    @classmethod
    def of(cls, shown: branding.Branding) -> Self:
        return cls(**vars(shown))


@strawberry.input(description="Only the fields given change; null removes one. Logo and "
                  "favicon: an https URL, or an uploaded image as a data: URL (logo: PNG, JPEG, "
                  "GIF or WEBP up to 256 KB; favicon: PNG, ICO or GIF up to 64 KB).")
class UpdateResellerBrandingInput:
    logo: str | None = strawberry.field(
        default=strawberry.UNSET, description="The logo: an https URL or a data: URL (PNG, "
        "JPEG, GIF or WEBP up to 256 KB); null removes it.")
    favicon: str | None = strawberry.field(
        default=strawberry.UNSET, description="The browser tab icon: an https URL or a data: "
        "URL (PNG, ICO or GIF up to 64 KB); null removes it.")
    primary_color: str | None = strawberry.field(
        default=strawberry.UNSET, description="The main colour, #RRGGBB; null restores the "
        "default.")
    secondary_color: str | None = strawberry.field(
        default=strawberry.UNSET, description="The accent colour, #RRGGBB; null restores the "
        "default.")
    support_email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Technical support email shown to subscribers; "
        "null removes it.")
    support_phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Technical support phone shown to subscribers "
        "(any format; kept as E.164); null removes it.")


@strawberry.type(description="The result of updateResellerBranding.")
class ResellerBrandingPayload:
    branding: ResellerBrandingType | None = strawberry.field(
        description="The branding as now saved; null on errors.")
    errors: list[ResellerError] = strawberry.field(default_factory=list)


@strawberry.type
class BrandingQuery:
    @field(*SIGNED_IN, description="A reseller's branding; by default my own reseller's "
           "(subscribers see their reseller's).")
    async def reseller_branding(
        self, info: strawberry.Info,
        reseller_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="The Reseller's global ID; my own reseller's when left out.")] = None,
    ) -> ResellerBrandingType | None:
        principal = info.context.principal
        wanted = (listed_pk(reseller_id, "Reseller", ["resellerId"], plain=False) if reseller_id
                  else principal.reseller_id)
        shown = await branding.branding_for(principal, wanted, info.context.settings.public_url)
        return ResellerBrandingType.of(shown) if shown else None


@strawberry.type
class BrandingMutation:
    @mutation(*RESELLER_STAFF, errors=ResellerError, description="Marque: logo, favicon, "
              "colours, technical support email and phone.")
    async def update_reseller_branding(
        self, info: strawberry.Info, input: UpdateResellerBrandingInput
    ) -> ResellerBrandingPayload:
        reseller = await branding.update_branding(info.context.principal, sent_fields(input))
        return ResellerBrandingPayload(branding=ResellerBrandingType.of(branding.branding_of(
            reseller.id, reseller.name, reseller.branding, info.context.settings.public_url)))
