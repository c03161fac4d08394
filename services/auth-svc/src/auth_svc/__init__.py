"""auth-svc: Unified identity (统一身份认证): OpenID Connect provider, organisation tree, people, roles and data scope."""
