"""What a pool number is, from its digits: its type as dialled from the reseller's country
(local, toll-free, international) and its area code (the NANP area code, else the national
destination code). Computed once, when the number enters the pool."""

from __future__ import annotations

import phonenumbers

LOCAL = "LOCAL"
TOLL_FREE = "TOLL_FREE"
INTERNATIONAL = "INTERNATIONAL"


def classify(number: str, reseller_country: str) -> tuple[str, str]:
    """(type, area code) of an E.164 ``number`` in the pool of a reseller of
    ``reseller_country`` (ISO 3166 alpha-2): toll-free by its numbering plan, international
    when its country is not the reseller's, else local. The area code is "" when the plan has
    none (or the number cannot be read)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return LOCAL, ""
    national = phonenumbers.national_significant_number(parsed)
    if parsed.country_code == 1:
        area = national[:3]
    else:
        area = national[:phonenumbers.length_of_national_destination_code(parsed)]
    if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.TOLL_FREE:
        return TOLL_FREE, area
    region = phonenumbers.region_code_for_number(parsed)
    if region and region.upper() != (reseller_country or "").upper():
        return INTERNATIONAL, area
    return LOCAL, area
