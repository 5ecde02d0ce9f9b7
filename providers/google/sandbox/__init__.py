"""Google's emulator: the OpenID issuer (discovery, authorize, token, userinfo, certs, revoke) and People."""
