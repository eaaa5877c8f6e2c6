"""Who exists and who is calling: resellers, accounts, users, sessions, tokens, audit."""
