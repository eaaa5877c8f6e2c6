"""Call restrictions: rules allowing or denying calls, exceptions, and the call decision."""
