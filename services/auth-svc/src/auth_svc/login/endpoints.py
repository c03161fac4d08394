"""Browser-facing OIDC endpoints: authorization (code flow with PKCE), the login form, and logout (end session)."""

from __future__ import annotations

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auth_svc.clients import service as client_service
from auth_svc.dependencies import KeyringDep, SettingsDep
from auth_svc.login import service as login_service
from auth_svc.login.service import AuthorizationPageError, AuthorizationRedirectError, AuthorizationRequest
from auth_svc.oidc import service as oidc_service
from auth_svc.oidc.errors import OAuthError
from auth_svc.sessions import service as session_service
from auth_svc.sessions.models import SsoSession
from auth_svc.sessions.service import COOKIE_NAME
from auth_svc.settings import AuthSettings
from auth_svc.tokens import service as token_service
from auth_svc.tokens.service import InvalidToken
from auth_svc.users import service as user_service
from auth_svc.users.models import User
from svc_runtime.db import SessionDep, utc_now

router = APIRouter(tags=["oidc"])

_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
}
_LOGIN_FAILED = "用户名或密码错误，或账户暂时不可用。 Incorrect user name or password, or the account is unavailable."
_TOTP_REQUIRED = "请输入身份验证器中的动态验证码。 Enter the one-time code from your authenticator app."
_TOTP_INVALID = "动态验证码无效。 The one-time code is not valid."
_MAX_CREDENTIAL_LENGTH = 200


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    return _page(login_service.render_message("无法完成请求", "Request refused", message), status)


def _redirect(location: str, status: int = 302) -> RedirectResponse:
    return RedirectResponse(location, status_code=status, headers={"Cache-Control": "no-store"})


def _set_cookie(
    response: Response, settings: AuthSettings, name: str, value: str, *, max_age: int, same_site: str
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=settings.auth_sso_cookie_path,
        secure=settings.auth_sso_cookie_secure,
        httponly=True,
        samesite=same_site,  # type: ignore[arg-type]
    )


def _delete_cookie(response: Response, settings: AuthSettings, name: str, *, same_site: str) -> None:
    response.delete_cookie(
        name,
        path=settings.auth_sso_cookie_path,
        secure=settings.auth_sso_cookie_secure,
        httponly=True,
        samesite=same_site,  # type: ignore[arg-type]
    )


def _login_page(
    request: Request,
    settings: AuthSettings,
    authz: AuthorizationRequest,
    *,
    status: int = 200,
    error: str | None = None,
    username: str = "",
    totp_required: bool = False,
) -> HTMLResponse:
    csrf = request.cookies.get(login_service.CSRF_COOKIE)
    if not csrf or len(csrf) != 43:
        csrf = login_service.new_csrf_token()
    html = login_service.render_login(
        authz, csrf_token=csrf, error=error, username=username, totp_required=totp_required
    )
    response = _page(html, status)
    _set_cookie(response, settings, login_service.CSRF_COOKIE, csrf, max_age=3600, same_site="strict")
    return response


def _needs_login(authz: AuthorizationRequest, sso: SsoSession) -> bool:
    if "login" in authz.prompt:
        return True
    return authz.max_age is not None and (utc_now() - sso.auth_time).total_seconds() > authz.max_age


async def _code_redirect(
    session: SessionDep, settings: AuthSettings, authz: AuthorizationRequest, sso: SsoSession, user: User
) -> str:
    code = await token_service.create_code(
        session,
        client_id=authz.client.client_id,
        user_id=user.id,
        session_id=sso.id,
        redirect_uri=authz.redirect_uri,
        scopes=authz.scopes,
        nonce=authz.nonce,
        code_challenge=authz.code_challenge,
        code_challenge_method=authz.code_challenge_method,
        auth_time=sso.auth_time,
        ttl_s=settings.auth_authorization_code_ttl_s,
    )
    # RFC 9207: the issuer in the response lets clients of several providers detect mix-up attacks.
    return login_service.with_parameters(
        authz.redirect_uri, {"code": code, "state": authz.state, "iss": settings.auth_issuer}
    )


@router.get("/authorize", response_class=HTMLResponse)
async def authorize(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Start the authorization code flow: a code at once within an SSO session, else the login page."""
    try:
        params = login_service.parse_parameters(request.query_params.multi_items())
        authz = await login_service.validate(session, params)
        found = await session_service.find_active(session, request.cookies.get(COOKIE_NAME))
        if found is not None and not _needs_login(authz, found[0]):
            return _redirect(await _code_redirect(session, settings, authz, *found))
        if "none" in authz.prompt:
            raise authz.error("login_required", "the user is not signed in")
        return _login_page(request, settings, authz)
    except AuthorizationPageError as exc:
        return _error_page(exc.message)
    except AuthorizationRedirectError as exc:
        return _redirect(login_service.error_redirect_location(exc, settings.auth_issuer))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Check the login form, start the SSO session and return to the client with a code."""
    try:
        form = oidc_service.parse_form(request.headers.get("content-type"), await request.body())
    except OAuthError:
        return _error_page("The login form is malformed.")
    if not login_service.csrf_matches(request.cookies.get(login_service.CSRF_COOKIE), form.get("csrf_token")):
        return _error_page("The login form has expired or was not sent by this site; please start again.", 403)
    try:
        authz = await login_service.validate(
            session, login_service.decode_parameters(form.get("authorization_request", ""))
        )
    except AuthorizationPageError as exc:
        return _error_page(exc.message)
    except AuthorizationRedirectError as exc:
        return _redirect(login_service.error_redirect_location(exc, settings.auth_issuer), 303)
    username, password = form.get("username", ""), form.get("password", "")
    if not username or not password or max(len(username), len(password)) > _MAX_CREDENTIAL_LENGTH:
        return _login_page(request, settings, authz, status=401, error=_LOGIN_FAILED)
    client_ip = request.client.host if request.client else None
    try:
        user = await user_service.authenticate(
            session,
            username=username,
            password=password,
            totp_code=form.get("totp_code"),
            client_ip=client_ip,
            settings=settings,
        )
    except user_service.TotpRequired:
        return _login_page(
            request, settings, authz, status=401, error=_TOTP_REQUIRED, username=username, totp_required=True
        )
    except user_service.InvalidTotp:
        return _login_page(
            request, settings, authz, status=401, error=_TOTP_INVALID, username=username, totp_required=True
        )
    except user_service.LoginFailed:
        return _login_page(request, settings, authz, status=401, error=_LOGIN_FAILED, username=username)
    previous = await session_service.find_active(session, request.cookies.get(COOKIE_NAME))
    if previous is not None:
        await session_service.end(session, previous[0], reason="replaced")
    sso, secret = await session_service.start(
        session,
        user=user,
        amr=["pwd", "otp"] if user.totp_enabled else ["pwd"],
        ttl_s=settings.auth_sso_session_ttl_s,
        client_ip=client_ip,
        user_agent=request.headers.get("user-agent"),
    )
    response = _redirect(await _code_redirect(session, settings, authz, sso, user), 303)
    _set_cookie(response, settings, COOKIE_NAME, secret, max_age=settings.auth_sso_session_ttl_s, same_site="lax")
    _delete_cookie(response, settings, login_service.CSRF_COOKIE, same_site="strict")
    return response


@router.get("/logout", response_class=HTMLResponse, operation_id="logout_get")
@router.post("/logout", response_class=HTMLResponse, operation_id="logout_post")
async def logout(request: Request, session: SessionDep, settings: SettingsDep, keyring: KeyringDep) -> Response:
    """End the SSO session (and revoke its refresh tokens); return to a registered post-logout URI if asked."""
    try:
        if request.method == "POST":
            form = oidc_service.parse_form(request.headers.get("content-type"), await request.body())
            params = login_service.parse_parameters(list(form.items()))
        else:
            params = login_service.parse_parameters(request.query_params.multi_items())
    except (OAuthError, AuthorizationPageError):
        return _error_page("The logout request is malformed.")
    hint_claims = None
    if "id_token_hint" in params:
        hint = params["id_token_hint"]
        try:
            audience = jwt.decode(hint, options={"verify_signature": False}).get("aud")
            if not isinstance(audience, str):
                raise InvalidToken("id_token_hint has no single audience")
            # An expired ID token is still a good hint of who is logging out (OIDC RP-Initiated Logout 1.0).
            hint_claims = await token_service.verify_local_token(
                keyring, settings, hint, audience=audience, typ="JWT", verify_exp=False
            )
        except (jwt.PyJWTError, InvalidToken):
            return _error_page("id_token_hint is not an ID token issued here.")
    client_id = params.get("client_id")
    if hint_claims is not None:
        if client_id is not None and client_id != hint_claims["aud"]:
            return _error_page("client_id does not match id_token_hint.")
        client_id = hint_claims["aud"]
    redirect_uri = params.get("post_logout_redirect_uri")
    if redirect_uri is not None:
        client = await client_service.get_active_client(session, client_id) if client_id else None
        if client is None or redirect_uri not in client.post_logout_redirect_uris:
            return _error_page("The post-logout redirect URI is not registered for this client.")
    found = await session_service.find_active(session, request.cookies.get(COOKIE_NAME))
    if found is not None:
        await session_service.end(session, found[0])
    elif hint_claims is not None and isinstance(hint_claims.get("sid"), str):
        sso = await session_service.get_by_sid(session, hint_claims["sid"])
        if sso is not None and str(sso.user_id) == hint_claims["sub"]:
            await session_service.end(session, sso)
    if redirect_uri is not None:
        response: Response = _redirect(login_service.with_parameters(redirect_uri, {"state": params.get("state")}))
    else:
        response = _page(
            login_service.render_message("已退出登录", "Signed out", "您已安全退出。 You have signed out.")
        )
    _delete_cookie(response, settings, COOKIE_NAME, same_site="lax")
    return response
