"""Development tools: `ww token` (dev tokens), `ww openapi` and `ww events asyncapi` (the
checked-in API documents)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shared.commands import console
from ww.registry import SERVICE_NAMES

if TYPE_CHECKING:
    from shared.settings import ServiceSettings

app = typer.Typer()
events_app = typer.Typer(help="The event catalogue.", no_args_is_help=True)
app.add_typer(events_app, name="events")


@app.command()
def token(
    role: Annotated[list[str], typer.Option("--role", help="role(s) for a person's token")] = [],  # noqa: B006
    sub: Annotated[
        str, typer.Option(help="subject: user id (for coaches: the coach id)")
    ] = "dev-user",
    office: Annotated[str | None, typer.Option(help="office code (team leads)")] = None,
    client_id: Annotated[str | None, typer.Option(help="partner application: client id")] = None,
    scope: Annotated[list[str], typer.Option("--scope", help="partner scopes")] = [],  # noqa: B006
    ttl_minutes: Annotated[int, typer.Option(min=1, max=24 * 60)] = 480,
    bsn: Annotated[
        str | None,
        typer.Option(
            help="claimants: the BSN of the sign-in (DigiD), put in the token's `bsn` claim; "
            "a claimant registers only this BSN"
        ),
    ] = None,
) -> None:
    """Mint a dev token signed with the local key (embedded and dev modes only).

    If a system answers on the intake port and verifies with another key, a warning on
    stderr says so: the token was minted from another state dir and would be refused."""
    from shared.devkeys import key_id, load_or_create_local_key, mint_token
    from shared.roles import Role
    from shared.settings import ServiceSettings

    settings = ServiceSettings()
    if settings.auth_mode != "local":
        raise typer.BadParameter("tokens can only be minted with auth_mode=local")
    valid = {r.value for r in Role}
    for r in role:
        if r not in valid:
            raise typer.BadParameter(f"unknown role {r!r}; valid: {', '.join(sorted(valid))}")
    if not role and not client_id:
        raise typer.BadParameter(
            "give --role (a person) or --client-id with --scope (a partner application)"
        )
    if bsn is not None:
        from shared.bsn import InvalidBSNError, normalize_bsn

        if "claimant" not in role:
            raise typer.BadParameter("--bsn is for claimant tokens (--role claimant)")
        try:
            bsn = normalize_bsn(bsn)
        except InvalidBSNError:
            # The value itself is never echoed: it may be someone's BSN.
            raise typer.BadParameter("--bsn is not a valid BSN (9 digits, 11-proef)") from None
    assert settings.auth_local_key_file is not None
    key = load_or_create_local_key(settings.auth_local_key_file)
    typer.echo(
        mint_token(
            key,
            subject=client_id or sub,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            roles=role,
            scopes=scope,
            office=office,
            client_id=client_id,
            ttl=dt.timedelta(minutes=ttl_minutes),
            bsn=bsn,
        )
    )
    warning = state_dir_mismatch(key_id(key.public_key()), settings)
    if warning:
        typer.echo(warning, err=True)


def state_dir_mismatch(our_key_id: str, settings: ServiceSettings) -> str | None:
    """A warning when the system on the intake port verifies with another local key.

    Asks `/health` on 127.0.0.1 with a short timeout; nothing running (or a production
    system, which shows no local key) is no warning."""
    import json
    import os
    import urllib.request

    port = int(os.environ.get("INTAKE_PORT", "8001"))
    url = f"http://127.0.0.1:{port}/health"
    try:
        with urllib.request.urlopen(url, timeout=0.3) as response:  # loopback only
            theirs = json.loads(response.read()).get("local_key_id")
    except (OSError, ValueError):
        return None
    if theirs is None or theirs == our_key_id:
        return None
    return (
        f"warning: the system running at {url} verifies tokens with another key "
        f"({theirs}, this state dir's is {our_key_id}): it was started with another state "
        f"dir than {settings.state_dir} (WW_STATE_DIR), so it will refuse this token (401). "
        "Run `ww token` with the same WW_STATE_DIR as `make run`."
    )


@events_app.command("asyncapi")
def events_asyncapi(
    check: Annotated[bool, typer.Option(help="fail if the checked-in documents are stale")] = False,
    out: Annotated[Path, typer.Option(help="AsyncAPI document path")] = Path("docs/asyncapi.yaml"),
    schemas_dir: Annotated[Path, typer.Option(help="JSON Schema directory")] = Path("docs/events"),
) -> None:
    """Generate docs/asyncapi.yaml and docs/events/*.json from the pydantic models."""
    import tempfile

    from shared.events.asyncapi import render_asyncapi, write_json_schemas

    document = render_asyncapi()
    if check:
        stale = not out.exists() or out.read_text() != document
        with tempfile.TemporaryDirectory() as tmp:
            fresh = {p.name: p.read_text() for p in write_json_schemas(Path(tmp))}
            current = (
                {p.name: p.read_text() for p in schemas_dir.glob("*.json")}
                if schemas_dir.exists()
                else {}
            )
            stale = stale or fresh != current
        if stale:
            console.print("[red]stale[/red]: run `ww events asyncapi`")
            raise typer.Exit(1)
        console.print("[green]up to date[/green]")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document)
    for old in schemas_dir.glob("*.json") if schemas_dir.exists() else []:
        old.unlink()
    written = write_json_schemas(schemas_dir)
    console.print(f"wrote {out} and {len(written)} JSON Schemas in {schemas_dir}")


def render_openapi(service: str) -> str:
    """The OpenAPI document of one service, as stable, pretty JSON."""
    import json
    import tempfile

    from shared.messaging.embedded import EmbeddedBroker
    from shared.runtime import ServiceContainer
    from shared.web.app import build_app
    from ww.registry import load_spec

    spec = load_spec(service)
    with tempfile.TemporaryDirectory() as tmp:
        settings = spec.settings_cls(state_dir=Path(tmp), transport="embedded")
        container = ServiceContainer(spec, settings, broker=EmbeddedBroker())
        try:
            document = build_app(container, manage_lifecycle=False).openapi()
        finally:
            container.engine.dispose()
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


@app.command()
def openapi(
    check: Annotated[bool, typer.Option(help="fail if docs/api is stale")] = False,
    out_dir: Annotated[Path, typer.Option(help="output directory")] = Path("docs/api"),
) -> None:
    """Write each service's OpenAPI document to docs/api/<service>.openapi.json."""
    stale = []
    for name in SERVICE_NAMES:
        path = out_dir / f"{name}.openapi.json"
        document = render_openapi(name)
        if check:
            if not path.exists() or path.read_text() != document:
                stale.append(str(path))
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(document)
        console.print(f"wrote {path}")
    if stale:
        console.print(f"[red]stale[/red]: {', '.join(stale)}; run `ww openapi`")
        raise typer.Exit(1)
