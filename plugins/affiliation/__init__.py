"""Affiliation: organisations of accounts sharing one directory and one extension plan."""
