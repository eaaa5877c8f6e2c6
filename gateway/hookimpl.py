"""The marker plugins use on their hook implementations: ``@hookimpl``."""

from pluggy import HookimplMarker

hookimpl = HookimplMarker("gateway")
