"""Call-center reports (seed: the call-answering service's client portal)."""
