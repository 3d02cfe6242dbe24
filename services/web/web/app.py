"""The web application: server-rendered pages, sessions, CSRF, sign-in and error pages."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.context import sanitize_correlation_id
from shared.demo import DEMO_CLAIMANTS
from web import caseload, claimant, coach, team_lead
from web.auth import Oidc, OidcClient, OidcError, client_of, mint_dev_token
from web.backend import Backend, BackendClient, BackendProblem, BackendUnavailable
from web.i18n import LANGUAGES
from web.pages import PageError, Pages
from web.session import Session, SessionCodec
from web.settings import SERVICES, WebSettings

HERE = Path(__file__).parent
PENDING_COOKIE = "ww_oidc"
# Where each role starts after signing in (the first role that matches).
HOME_OF_ROLE = (("coach", "/my-intakes"), ("team_lead", "/office"), ("claimant", "/me"))


def create_app(
    settings: WebSettings | None = None,
    *,
    backends: Mapping[str, Backend | str] | None = None,
    oidc_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The web app; `backends` overrides the settings' URLs (tests mount the services)."""
    settings = settings or WebSettings()
    codec = SessionCodec(settings.session_key(), ttl_s=settings.session_ttl_s)
    client = BackendClient(
        backends or settings.backend_urls(),
        timeout_s=settings.backend_timeout_s,
        connect_timeout_s=settings.backend_connect_timeout_s,
        retries=settings.backend_retries,
        backoff_s=settings.backend_backoff_s,
    )
    oidc = Oidc(settings, state_key=settings.session_key(), transport=oidc_transport)
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()
        await oidc.aclose()

    app = FastAPI(
        title="WW web", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.state.backend = client
    pages = Pages(settings, templates, client, oidc)
    app.state.pages = pages
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # -- sessions -------------------------------------------------------------------------

    @app.middleware("http")
    async def session_middleware(request: Request, call_next: Any) -> Response:
        raw = request.cookies.get(settings.session_cookie)
        session = codec.decode(raw)
        request.state.session_new = session is None
        request.state.session = session or Session(lang=settings.default_language)
        request.state.session_clear = False
        request.state.correlation_id = sanitize_correlation_id(
            request.headers.get("x-correlation-id")
        )
        response: Response = await call_next(request)
        if request.state.session_clear:
            response.delete_cookie(settings.session_cookie, path="/")
            request.state.session = Session(lang=request.state.session.lang)
            request.state.session_new = True
        if request.state.session_new:
            response.set_cookie(
                settings.session_cookie,
                codec.encode(request.state.session),
                max_age=settings.session_ttl_s,
                path="/",
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookies,
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'",
        )
        return response

    session_of = pages.session
    replace_session = pages.replace_session
    require_csrf = pages.require_csrf
    render = pages.render

    # -- error pages ----------------------------------------------------------------------

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        if exc.status == 401:
            claimant_page = request.url.path == "/me" or request.url.path.startswith("/me/")
            staff_or_claimant = "/claimant/sign-in" if claimant_page else "/sign-in"
            target = "/dev/sign-in" if settings.dev_sign_in else staff_or_claimant
            return RedirectResponse(target, status_code=303)
        return render(request, "error.html", exc.status, status=exc.status, key=exc.message_key)

    @app.exception_handler(BackendProblem)
    async def backend_problem(request: Request, exc: BackendProblem) -> Response:
        # Need-to-know is the backends' decision: their 403/404 is ours.
        if exc.status in (403, 404):
            return render(request, "error.html", exc.status, status=exc.status, key=None)
        if exc.status == 401:
            request.state.session_clear = True
            return render(request, "error.html", 403, status=403, key=None)
        status = exc.status if 400 <= exc.status < 500 else 502
        return render(request, "error.html", status, status=status, problem=exc, key=None)

    @app.exception_handler(BackendUnavailable)
    async def backend_down(request: Request, exc: BackendUnavailable) -> Response:
        return render(request, "error.html", 503, status=503, key=None, service=exc.service)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code if exc.status_code in (403, 404, 405) else 400
        return render(request, "error.html", status, status=status, key=None)

    # -- pages ----------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        session = session_of(request)
        for role, start in HOME_OF_ROLE:
            if session.has_role(role):
                return RedirectResponse(start, status_code=303)
        return render(request, "home.html")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/language")
    async def language(
        request: Request, lang: str = Form(...), csrf_token: str | None = Form(None)
    ) -> Response:
        require_csrf(request, csrf_token)
        session = session_of(request)
        if lang in LANGUAGES:
            session.lang = lang
            replace_session(request, session)
        back = request.headers.get("referer", "/")
        # Only back to a page of ours (no open redirect through the Referer).
        path = httpx.URL(back).path if back.startswith(str(request.base_url)) else "/"
        return RedirectResponse(path or "/", status_code=303)

    @app.post("/logout")
    async def logout(request: Request, csrf_token: str | None = Form(None)) -> Response:
        require_csrf(request, csrf_token)
        request.state.session_clear = True
        return RedirectResponse("/", status_code=303)

    # -- dev sign-in (never in production: the settings refuse it there) -----------------

    def dev_only() -> None:
        if not settings.dev_sign_in or settings.environment == "prod":
            raise PageError(404)

    @app.get("/dev/sign-in", response_class=HTMLResponse)
    async def dev_sign_in_page(request: Request) -> Response:
        dev_only()
        lister = mint_dev_token(settings, subject="web-dev-sign-in", roles=["admin"], ttl_s=60)
        page = await client.get(
            "coaching",
            "/v1/coaches",
            token=lister,
            correlation_id=request.state.correlation_id,
            params={"limit": 200},
        )
        coaches = [c for c in page["items"] if c.get("active", True)]
        return render(request, "dev_sign_in.html", coaches=coaches, demo_claimants=DEMO_CLAIMANTS)

    @app.post("/dev/sign-in")
    async def dev_sign_in(
        request: Request,
        role: str = Form(...),
        csrf_token: str | None = Form(None),
        coach_id: str | None = Form(None),
        office: str | None = Form(None),
        subject: str | None = Form(None),
        bsn: str | None = Form(None),
    ) -> Response:
        dev_only()
        require_csrf(request, csrf_token)
        old = session_of(request)
        expires = time.time() + settings.session_ttl_s
        if role == "coach":
            try:
                cid = str(uuid.UUID(coach_id or ""))
            except ValueError as exc:
                raise PageError(400) from exc
            lister = mint_dev_token(settings, subject="web-dev-sign-in", roles=["admin"], ttl_s=60)
            coach = await client.get(
                "coaching",
                f"/v1/coaches/{cid}",
                token=lister,
                correlation_id=request.state.correlation_id,
            )
            office_code, name = coach["office_code"], coach["display_name"]
            token = mint_dev_token(settings, subject=cid, roles=["coach"], office=office_code)
            new = Session(
                lang=old.lang,
                subject=cid,
                roles=["coach"],
                office=office_code,
                display_name=name,
                access_token=token,
                expires_at=expires,
            )
        elif role == "team_lead":
            office_code = (office or "").strip().upper()
            if not office_code.isalnum() or len(office_code) > 10:
                raise PageError(400)
            sub = f"dev-team-lead-{office_code.lower()}"
            token = mint_dev_token(settings, subject=sub, roles=["team_lead"], office=office_code)
            new = Session(
                lang=old.lang,
                subject=sub,
                roles=["team_lead"],
                office=office_code,
                display_name=f"Teamleider {office_code}",
                access_token=token,
                expires_at=expires,
            )
        elif role == "claimant":
            sub = (subject or "").strip()
            if not sub or len(sub) > 100:
                raise PageError(400)
            token = mint_dev_token(
                settings, subject=sub, roles=["claimant"], bsn=(bsn or "").strip() or None
            )
            new = Session(
                lang=old.lang,
                subject=sub,
                roles=["claimant"],
                display_name=sub,
                access_token=token,
                expires_at=expires,
            )
        else:
            raise PageError(400)
        replace_session(request, new)  # a fresh CSRF token with the new identity
        return RedirectResponse("/", status_code=303)

    # -- OIDC (staff and claimants) -------------------------------------------------------

    def oidc_client(kind: str) -> OidcClient:
        c = client_of(settings, kind)
        if c is None:
            raise PageError(404)
        return c

    async def oidc_start(kind: str) -> Response:
        c = oidc_client(kind)
        try:
            url, pending = await oidc.start(c, kind=kind)
        except (httpx.HTTPError, OidcError) as exc:
            raise BackendUnavailable("identity provider") from exc
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            PENDING_COOKIE,
            pending,
            max_age=600,
            path="/",
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
        )
        return response

    async def oidc_finish(request: Request, kind: str, code: str, state: str) -> Response:
        c = oidc_client(kind)
        try:
            pending = oidc.pending(request.cookies.get(PENDING_COOKIE))
            if pending.get("kind") != kind:
                raise OidcError("sign-in kind mismatch")
            who = await oidc.finish(c, code=code, state=state, pending=pending)
        except OidcError as exc:
            raise PageError(403) from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailable("identity provider") from exc
        if not who.roles:
            raise PageError(403)
        replace_session(
            request,
            Session(
                lang=session_of(request).lang,
                subject=who.subject,
                roles=who.roles,
                office=who.office,
                display_name=who.display_name,
                access_token=who.access_token,
                expires_at=who.expires_at,
                token_expires_at=who.token_expires_at,
                refresh_token=who.refresh_token,
                oidc_kind=kind,
            ),
        )
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(PENDING_COOKIE, path="/")
        return response

    @app.get("/sign-in")
    async def sign_in() -> Response:
        return await oidc_start("staff")

    @app.get("/sign-in/callback")
    async def sign_in_callback(request: Request, code: str, state: str) -> Response:
        return await oidc_finish(request, "staff", code, state)

    @app.get("/claimant/sign-in")
    async def claimant_sign_in() -> Response:
        return await oidc_start("claimant")

    @app.get("/claimant/sign-in/callback")
    async def claimant_sign_in_callback(request: Request, code: str, state: str) -> Response:
        return await oidc_finish(request, "claimant", code, state)

    app.include_router(coach.router)
    app.include_router(caseload.router)
    app.include_router(team_lead.router)
    app.include_router(claimant.router)

    return app


def backends_from(settings: WebSettings) -> dict[str, Backend]:
    """The settings' backend URLs as Backend specs."""
    return {s: Backend(settings.backend_urls()[s]) for s in SERVICES}
