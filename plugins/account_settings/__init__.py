"""Account settings, extensions, phone numbers, devices and contacts (issue 5)."""
