"""``TORTOISE_ORM`` for Tortoise's own CLI (``gateway makemigrations`` uses it)."""

from gateway.db import tortoise_config
from gateway.plugins import PluginHost
from gateway.settings import Settings

TORTOISE_ORM = tortoise_config(PluginHost(Settings.from_env()))
