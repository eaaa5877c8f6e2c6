"""The reseller GraphQL gateway: the host that composes feature plugins into one API."""
