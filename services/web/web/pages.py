"""What every page module shares: rendering, backend calls with the caller's identity,
role checks, CSRF, notices after a redirect (post/redirect/get) and htmx partials.

A page module is an `APIRouter` whose handlers take `pages: PagesDep`; it has no state of
its own and no business rules: every decision (may this coach see this claim? is this
reschedule within the rules?) is the backend's, and its problem+json is what the page shows.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from web.auth import Oidc, OidcError, client_of
from web.backend import BackendClient, BackendProblem, BackendUnavailable
from web.i18n import LANGUAGES, translate
from web.session import Notice, Session
from web.settings import WebSettings

TZ = ZoneInfo("Europe/Amsterdam")


class PageError(Exception):
    """Render the error page with this status (403, 404, 503...); 401 signs in first."""

    def __init__(self, status: int, message_key: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.message_key = message_key


def local(ts: str | None) -> dt.datetime | None:
    """An ISO timestamp from a backend in Amsterdam time (None stays None)."""
    if not ts:
        return None
    return dt.datetime.fromisoformat(ts).astimezone(TZ)


def uuid_or_error(value: str | None, *, status: int = 400, key: str | None = None) -> str:
    """A UUID from a form field or path segment, normalised; the error page with `status`
    (and the catalogue text `key`) for anything else, never a stack trace."""
    try:
        return str(uuid.UUID(value or ""))
    except ValueError as exc:
        raise PageError(status, key) from exc


def problem_text(problem: BackendProblem) -> str:
    """One readable line of a backend's problem: its title, detail and the fields it names."""
    text = problem.title
    if problem.detail and problem.detail != problem.title:
        text = f"{text}: {problem.detail}"
    if problem.fields:
        text = f"{text} ({', '.join(problem.fields)})"
    return text


@dataclass
class Pages:
    """The request-independent parts (settings, templates, backends), with helpers that
    take the request for the per-person parts (session, language, correlation id)."""

    settings: WebSettings
    templates: Jinja2Templates
    backend: BackendClient
    oidc: Oidc | None = None

    # -- the person ---------------------------------------------------------------------

    @staticmethod
    def session(request: Request) -> Session:
        """The request's session (anonymous when nobody is signed in)."""
        return request.state.session  # type: ignore[no-any-return]

    @staticmethod
    def replace_session(request: Request, session: Session) -> None:
        """Store a changed session: the middleware re-issues the cookie."""
        request.state.session = session
        request.state.session_new = True

    def require(self, request: Request, *roles: str) -> Session:
        """The signed-in person with one of `roles` (any role when none is given): 401
        (to the sign-in) when nobody is signed in, the 403 page for another role."""
        session = self.session(request)
        if not session.signed_in:
            raise PageError(401)
        if roles and not session.has_role(*roles):
            raise PageError(403)
        return session

    def require_csrf(self, request: Request, token: str | None) -> None:
        """A form's CSRF token must be the session's (403 page otherwise)."""
        if not self.session(request).check_csrf(token):
            raise PageError(403, "error_csrf")

    def lang(self, request: Request) -> str:
        """The page language: the session's, else the default."""
        lang = self.session(request).lang
        return lang if lang in LANGUAGES else self.settings.default_language

    def t(self, request: Request, key: str) -> str:
        """A catalogue text in the page language."""
        return translate(key, self.lang(request))

    # -- rendering ----------------------------------------------------------------------

    @staticmethod
    def is_htmx(request: Request) -> bool:
        """True for an htmx request (render the fragment, not the whole page)."""
        return request.headers.get("hx-request") == "true"

    def render(
        self, request: Request, name: str, http_status: int = 200, **ctx: Any
    ) -> HTMLResponse:
        """A template with the page context (texts, language, session, notice)."""
        session = self.session(request)
        lang = self.lang(request)
        notice = session.notice
        if notice is not None and not self.is_htmx(request):
            # Shown once: the page that shows it clears it.
            session.notice = None
            self.replace_session(request, session)

        def t(key: str) -> str:
            return translate(key, lang)

        return self.templates.TemplateResponse(
            request,
            name,
            {
                "t": t,
                "lang": lang,
                "session": session,
                "dev_sign_in": self.settings.dev_sign_in,
                "notice": notice,
                **ctx,
            },
            status_code=http_status,
        )

    def notify(
        self,
        request: Request,
        kind: str,
        text: str,
        fields: Sequence[str] = (),
        *,
        keep_pending: bool = False,
    ) -> None:
        """A one-time notice on the next page (`kind` "ok" or "error"); with `keep_pending`
        a notice not shown yet stays (the first reason is the one to read)."""
        session = self.session(request)
        if keep_pending and session.notice is not None:
            return
        session.notice = Notice(kind, text, list(fields))
        self.replace_session(request, session)

    def redirect(
        self,
        request: Request,
        url: str,
        *,
        ok: str | None = None,
        error: BackendProblem | str | None = None,
    ) -> RedirectResponse:
        """303 to `url` with a one-time notice: `ok` is a catalogue key, `error` a backend
        problem (shown as its readable text) or a catalogue key."""
        if isinstance(error, BackendProblem):
            self.notify(request, "error", problem_text(error), error.fields)
        elif error is not None:
            self.notify(request, "error", self.t(request, error))
        elif ok is not None:
            self.notify(request, "ok", self.t(request, ok))
        response = RedirectResponse(url, status_code=303)
        if self.is_htmx(request):
            # htmx follows a 303 inside the XHR; HX-Location makes it a real navigation.
            response.headers["HX-Location"] = url
        return response

    # -- backends -----------------------------------------------------------------------

    async def _identity(self, request: Request) -> dict[str, Any]:
        session = self.session(request)
        await self._renew_if_due(request, session)
        return {
            "token": session.access_token if session.signed_in else None,
            "correlation_id": request.state.correlation_id,
        }

    async def get(self, request: Request, service: str, path: str, **kwargs: Any) -> Any:
        """GET a backend as the signed-in person (retried on transport errors)."""
        return await self.backend.get(service, path, **(await self._identity(request)), **kwargs)

    async def download(
        self, request: Request, service: str, path: str, *, accept: str
    ) -> httpx.Response:
        """GET a file (not JSON) as the signed-in person: the backend's 2xx response."""
        return await self.backend.raw(
            service, "GET", path, headers={"Accept": accept}, **(await self._identity(request))
        )

    async def optional(self, request: Request, service: str, path: str, **kwargs: Any) -> Any:
        """GET, or None when the backend says 403/404 (not there yet, or not for this role)."""
        try:
            return await self.get(request, service, path, **kwargs)
        except BackendProblem as exc:
            if exc.status in (403, 404):
                return None
            raise

    async def send(
        self,
        request: Request,
        method: str,
        service: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """POST/PUT/PATCH/DELETE a backend as the signed-in person (never retried). Pass
        the form's idempotency key where the backend supports one: a double submit is then
        carried out once."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self.backend.request(
            service,
            method,
            path,
            json=json,
            params=params,
            headers=headers,
            **(await self._identity(request)),
        )

    async def _renew_if_due(self, request: Request, session: Session) -> None:
        """Refresh an OIDC access token that expires within a minute, once per request;
        a refused refresh ends the session (the person signs in again)."""
        due = session.token_expires_at is not None and session.token_expires_at - 60 < time.time()
        if not (session.signed_in and session.refresh_token and due) or self.oidc is None:
            return
        client = client_of(self.settings, session.oidc_kind or "staff")
        if client is None:
            return
        try:
            renewed = await self.oidc.refresh(client, session.refresh_token)
        except OidcError as exc:
            request.state.session_clear = True
            raise PageError(401) from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailable("identity provider") from exc
        session.access_token = renewed.access_token
        session.token_expires_at = renewed.token_expires_at
        session.refresh_token = renewed.refresh_token
        self.replace_session(request, session)

    @staticmethod
    def form_key() -> str:
        """A fresh idempotency key for a form (rendered into it as a hidden field)."""
        return str(uuid.uuid4())


def pages(request: Request) -> Pages:
    """The app's `Pages` (a FastAPI dependency)."""
    return request.app.state.pages  # type: ignore[no-any-return]


PagesDep = Annotated[Pages, Depends(pages)]
