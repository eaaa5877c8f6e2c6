"""Shared GraphQL pieces (scalars, errors, pagination, permissions) and schema composition."""
