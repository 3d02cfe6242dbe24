"""Process runners: one service (API and/or workers) or the whole system in one process."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Generator
from typing import Any

import uvicorn

from shared.logging import configure_logging, get_logger
from shared.messaging.embedded import EmbeddedBroker
from shared.runtime import ServiceContainer
from shared.settings import ServiceSettings
from shared.web.app import build_app
from ww.registry import SERVICE_NAMES, load_spec

log = get_logger(__name__)


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to us (several servers, one process)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _uvicorn_config(app: Any, settings: ServiceSettings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port or settings.default_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


def _install_stop_handlers(on_stop: Callable[[], None]) -> None:
    def handler(signum: int, _frame: Any) -> None:
        log.info("runner.stopping", signal=signal.Signals(signum).name)
        on_stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def build_settings(name: str, **overrides: Any) -> ServiceSettings:
    """Settings of a service from the environment plus explicit overrides."""
    spec = load_spec(name)
    return spec.settings_cls(**overrides)


def run_service(name: str, *, api: bool, relay: bool, consumer: bool) -> None:
    """Run one service with the chosen parts (API, relay, consumer) until SIGINT/SIGTERM."""
    spec = load_spec(name)
    settings = spec.settings_cls()
    configure_logging(level=settings.log_level, json=settings.log_json)
    if settings.transport != "kafka" and not api:
        raise SystemExit("a separate relay or consumer process needs WW_TRANSPORT=kafka")
    broker = EmbeddedBroker() if settings.transport == "embedded" else None
    container = ServiceContainer(spec, settings, broker=broker)
    if settings.migrate_on_start:
        container.migrate()
    if relay:
        container.start_relay()
    if consumer:
        container.start_consumer()
    if api:
        # A service's background loops run with its API process (one process per service).
        container.start_workers()
    if api:
        server = _QuietServer(
            _uvicorn_config(build_app(container, manage_lifecycle=False), settings)
        )
        _install_stop_handlers(lambda: setattr(server, "should_exit", True))
        log.info("runner.listening", service=name, url=f"http://{settings.host}:{settings.port}")
        server.run()
    else:
        if settings.metrics_port:
            from prometheus_client import start_http_server

            start_http_server(
                settings.metrics_port, addr=settings.host, registry=container.metrics.registry
            )
        stop = threading.Event()
        _install_stop_handlers(stop.set)
        stop.wait()
    container.stop()


def _start_mail_sink(settings: ServiceSettings) -> Any:
    """Embedded mode's local SMTP server (a real one, aiosmtpd) where intake's e-mail to
    claimants lands, when intake sends to this machine; None when it sends elsewhere."""
    host = getattr(settings, "smtp_host", None)
    if host not in ("127.0.0.1", "localhost"):
        return None
    from shared.mail.sink import MailSink, mail_dir

    sink = MailSink(
        directory=mail_dir(settings.state_dir),
        host="127.0.0.1",
        port=getattr(settings, "smtp_port", 8025),
    )
    try:
        return sink.start()
    except OSError as exc:
        log.warning("runner.mail_sink_unavailable", error=str(exc))
        print(f"  mail sink not started: port {sink.port} is in use", flush=True)
        return None


def _embedded_web(urls: dict[str, str], state_dir: Any) -> tuple[_QuietServer | None, Any, str]:
    """The web front end beside the services (WEB_PORT, 8000), or None when its port is
    taken: the services run without it rather than not at all."""
    from web.runner import bind, web_config
    from web.settings import WebSettings

    settings = WebSettings(state_dir=state_dir)
    url = f"http://{settings.host}:{settings.port}"
    sock = bind(settings)
    if sock is None:
        return None, None, url
    return _QuietServer(web_config(settings, urls)), sock, url


def run_embedded(
    *, demo: bool, host: str = "127.0.0.1", on_ready: Callable[[dict[str, str]], None] | None = None
) -> None:
    """All four services in one process: SQLite files, in-process event delivery."""
    broker = EmbeddedBroker()
    containers: dict[str, ServiceContainer] = {}
    for name in SERVICE_NAMES:
        settings = load_spec(name).settings_cls(transport="embedded", host=host)
        containers[name] = ServiceContainer(load_spec(name), settings, broker=broker)
    first = next(iter(containers.values())).settings
    configure_logging(level=first.log_level, json=first.log_json)
    sink = _start_mail_sink(containers["intake"].settings)
    for c in containers.values():
        c.migrate()
    # Every consumer subscribes before any relay starts, so no event finds an empty topic.
    for c in containers.values():
        c.subscribe_embedded()
    for c in containers.values():
        c.start_relay()
    for c in containers.values():
        c.start_workers()
    servers = [
        _QuietServer(_uvicorn_config(build_app(c, manage_lifecycle=False), c.settings))
        for c in containers.values()
    ]
    urls = {name: f"http://{c.settings.host}:{c.settings.port}" for name, c in containers.items()}
    web, web_socket, web_url = _embedded_web(urls, first.state_dir)

    def stop_all() -> None:
        for s in [*servers, *([web] if web else [])]:
            s.should_exit = True

    _install_stop_handlers(stop_all)

    async def main() -> None:
        tasks = [asyncio.create_task(s.serve()) for s in servers]
        if web is not None and web_socket is not None:
            tasks.append(asyncio.create_task(web.serve(sockets=[web_socket])))
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks):
                stop_all()
                break
            await asyncio.sleep(0.05)
        else:
            for name, url in urls.items():
                print(f"  {name:<9} {url}   (docs: {url}/docs)", flush=True)
            if web is not None:
                print(f"  web       {web_url}   (sign in: {web_url}/dev/sign-in)", flush=True)
            else:
                print(f"  web not started: {web_url} is in use", flush=True)
            if sink is not None:
                print(
                    f"  mail sink smtp://{sink.host}:{sink.port}  (messages to claimants: "
                    "`.venv/bin/ww mail list`; letters: var/letters/)",
                    flush=True,
                )
            if demo:
                from ww.demo import load_demo_data

                await asyncio.to_thread(load_demo_data, urls, containers["coaching"].settings)
            if on_ready is not None:
                on_ready(urls)
            print("All four services are up (embedded mode). Press Ctrl-C to stop.", flush=True)
        await asyncio.gather(*tasks, return_exceptions=True)

    try:
        asyncio.run(main())
    finally:
        for c in containers.values():
            c.stop()
        if sink is not None:
            sink.stop()
        print("Stopped.", flush=True)
