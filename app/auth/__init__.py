"""Login, device binding, access and refresh tokens, revocation."""
