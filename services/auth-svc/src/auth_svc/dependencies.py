"""Request dependencies of auth-svc, backed by the lifespan state (so tests can override them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from auth_svc.clients.service import ClientAuthenticator
from auth_svc.federation.service import UpstreamIssuer
from auth_svc.keys.service import Keyring
from auth_svc.settings import AuthSettings


def get_settings(request: Request) -> AuthSettings:
    settings: AuthSettings = request.state.settings
    return settings


def get_keyring(request: Request) -> Keyring:
    keyring: Keyring = request.state.keyring
    return keyring


def get_client_authenticator(request: Request) -> ClientAuthenticator:
    authenticator: ClientAuthenticator = request.state.client_authenticator
    return authenticator


def get_upstream_issuer(request: Request) -> UpstreamIssuer:
    upstream: UpstreamIssuer = request.state.upstream_issuer
    return upstream


SettingsDep = Annotated[AuthSettings, Depends(get_settings)]
KeyringDep = Annotated[Keyring, Depends(get_keyring)]
ClientAuthenticatorDep = Annotated[ClientAuthenticator, Depends(get_client_authenticator)]
UpstreamIssuerDep = Annotated[UpstreamIssuer, Depends(get_upstream_issuer)]
