"""The table of the models test plugin (app ``hooks_probe``)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ProbeRecord(Model):
    """One row written by the test that proves a plugin's app is migrated and usable."""

    id = fields.IntField(primary_key=True)
    label = fields.CharField(max_length=60)

    class Meta:
        table = "hooks_probe_record"
