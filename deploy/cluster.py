"""The scaled assistant on one machine: N Rasa servers and N action servers behind nginx.

Used by `make run-scaled` (scripts/run_scaled.sh), by the fault tests (tests/e2e/test_faults.py)
and by the benchmark (scripts/bench.py). Runs in the app environment; starts:

- nginx (Debian's), config rendered from deploy/nginx.conf.template into `<workdir>/nginx.conf`;
- the action servers (rasa-sdk), behind nginx's `actions` listener;
- the Rasa servers on the PostgreSQL tracker store and the Redis lock store (endpoints.production.yml),
  calling the actions through nginx, behind nginx's `internal` listener;
- the web app (and the Telegram process when TELEGRAM_BOT_TOKEN is set) talking to Rasa through nginx;
- the analytics consumer (`python -m bot.analytics`) of the Rasa servers' event broker, unless
  ANALYTICS_BROKER_URL=off. With the SQL event broker its table is `ANALYTICS_EVENTS_DB`: make
  run-scaled points it at PostgreSQL; a SQLite file given here becomes `<workdir>/events.db`, so
  every cluster (tests, the benchmark) has its own.

`stop()` shuts down in the order that loses nothing: nginx stops taking requests and finishes the
ones it is proxying, then each Rasa server finishes its in-flight messages (SIGTERM; Sanic waits for
open requests), then the action servers, then the rest.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
VENV_RASA = Path(os.environ.get("VENV_RASA", ROOT / ".venv-rasa"))
VENV_APP = Path(os.environ.get("VENV_APP", ROOT / ".venv-app"))
MODEL = ROOT / "models" / "clinic.tar.gz"
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
NGINX = "/usr/sbin/nginx"
START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 30


def action_server_command(port: int) -> list[str]:
    """The action server (actions/server.py) on `port`, as the Procfile starts it."""
    return [str(VENV_APP / "bin/python"), "-m", "actions.server", "--actions", "actions", "--port", str(port)]


def rasa_server_command(port: int, endpoints: str | None, model: Path, credentials: bool = True) -> list[str]:
    """A Rasa server (`rasa run --enable-api`) on `port`, as the Procfile starts it: through
    deploy/rasa_server.py, which reads the API token from RASA_AUTH_TOKEN (never the command line)
    and the CORS origins from WIDGET_ALLOWED_ORIGINS."""
    command = [str(VENV_RASA / "bin/python"), "-m", "deploy.rasa_server", "--enable-api", "--port", str(port)]
    if endpoints:
        command += ["--endpoints", endpoints]
    if credentials:
        command += ["--credentials", "credentials.yml"]
    return [*command, "--model", str(model)]


def with_origins(allowed: str, *origins: str) -> str:
    """WIDGET_ALLOWED_ORIGINS with `origins` added (kept in order, no duplicates)."""
    entries = [o.strip() for o in allowed.split(",") if o.strip()]
    return ",".join(entries + [o for o in origins if o not in entries])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def ensure_postgres_database(url: str, login_db: str = "postgres") -> None:
    """Creates the database of `url` when it does not exist (as Rasa would with login_db, but once:
    two Rasa servers starting together would race to create it)."""
    target = make_url(url)
    engine = create_engine(
        target.set(drivername="postgresql+psycopg", database=login_db),
        poolclass=pool.NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        engine.dispose()


@dataclass
class Process:
    name: str
    command: list[str]
    health_url: str | None
    popen: subprocess.Popen | None = None
    log_handle: IO[str] | None = None


@dataclass
class Cluster:
    """A scaled assistant. `env` must hold the PostgreSQL/Redis settings (TRACKER_DB_*, REDIS_*,
    DATABASE_URL); ports are chosen here unless given."""

    workdir: Path
    env: dict[str, str]
    rasa_servers: int = 2
    action_servers: int = 2
    web: bool = True
    analytics: bool = True
    model: Path = MODEL
    public_port: int = field(default_factory=free_port)
    rasa_lb_port: int = field(default_factory=free_port)
    action_lb_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    token: str = ""
    processes: dict[str, Process] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.rasa_ports = [free_port() for _ in range(self.rasa_servers)]
        self.action_ports = [free_port() for _ in range(self.action_servers)]
        self.token = self.token or self.env.get("RASA_AUTH_TOKEN", "") or secrets.token_hex(32)
        env = dict(self.env)
        env.update(
            PYTHONPATH=str(ROOT),
            RASA_AUTH_TOKEN=self.token,
            # Rasa reaches the action servers, and everything else reaches Rasa, through nginx
            ACTION_HOST="127.0.0.1",
            ACTION_PORT=str(self.action_lb_port),
            ACTION_SERVER_URL=f"http://127.0.0.1:{self.action_lb_port}",
            RASA_URL=self.rasa_url,
            RASA_PUBLIC_URL=self.public_url,
            WEB_HOST="127.0.0.1",
            WEB_PORT=str(self.web_port),
            WEB_PUBLIC_URL=self.public_url,
            TRACKER_STORE="postgresql",
            LOCK_STORE="redis",
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
        )
        # Rasa sends it on every action call (endpoints*.yml); both sides read it from here
        env.setdefault("ACTION_SERVER_SECRET", secrets.token_hex(32))
        # Visitors load the widget from nginx's public listener, so its origin may open the
        # Socket.IO chat, beside the clinic's site (WIDGET_ALLOWED_ORIGINS, bot/settings.py)
        default_origins = f"http://localhost:{self.web_port},http://127.0.0.1:{self.web_port}"
        env["WIDGET_ALLOWED_ORIGINS"] = with_origins(
            env.get("WIDGET_ALLOWED_ORIGINS") or default_origins,
            self.public_url,
            f"http://localhost:{self.public_port}",
        )
        events_db = env.get("ANALYTICS_EVENTS_DB") or "sqlite://"
        if make_url(events_db).get_backend_name() == "sqlite":
            env["ANALYTICS_EVENTS_DB"] = f"sqlite:///{self.workdir / 'events.db'}"
        self.env = env
        for i, port in enumerate(self.action_ports, 1):
            self.processes[f"actions-{i}"] = Process(
                f"actions-{i}",
                action_server_command(port),
                f"http://127.0.0.1:{port}/health",
            )
        for i, port in enumerate(self.rasa_ports, 1):
            self.processes[f"rasa-{i}"] = Process(
                f"rasa-{i}",
                rasa_server_command(port, "endpoints.production.yml", self.model),
                f"http://127.0.0.1:{port}/",
            )
        if self.web:
            self.processes["web"] = Process(
                "web",
                [str(VENV_APP / "bin/python"), "-m", "bot.web"],
                f"http://127.0.0.1:{self.web_port}/healthz",
            )
        if self.web and env.get("TELEGRAM_BOT_TOKEN") and (ROOT / "bot" / "telegram").is_dir():
            self.processes["telegram"] = Process(
                "telegram", [str(VENV_APP / "bin/python"), "-m", "bot.telegram"], None
            )
        if self.analytics and env.get("ANALYTICS_BROKER_URL", "").strip().lower() not in ("off", "none"):
            self.processes["analytics"] = Process(
                "analytics", [str(VENV_APP / "bin/python"), "-m", "bot.analytics"], None
            )
        self.processes["nginx"] = Process(
            "nginx",
            [NGINX, "-p", str(self.workdir), "-c", str(self.workdir / "nginx.conf")],
            f"http://127.0.0.1:{self.rasa_lb_port}/nginx-health",
        )

    # --- addresses -------------------------------------------------------------------------------
    @property
    def rasa_url(self) -> str:
        """Rasa through nginx (internal listener): REST webhook and HTTP API."""
        return f"http://127.0.0.1:{self.rasa_lb_port}"

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    def server_url(self, name: str) -> str:
        """One Rasa server directly, bypassing nginx (tests)."""
        return f"http://127.0.0.1:{self.rasa_ports[int(name.split('-')[1]) - 1]}"

    # --- nginx config ----------------------------------------------------------------------------
    def render_nginx(self) -> Path:
        def servers(ports: list[int]) -> str:
            return "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in ports)

        user_line = ""
        if os.geteuid() == 0:  # nginx's workers drop root; let them use their temp folders
            user_line = "user nobody nogroup;"
        values = {
            "USER_LINE": user_line,
            "RUN_DIR": str(self.workdir),
            "PUBLIC_PORT": str(self.public_port),
            "RASA_LB_PORT": str(self.rasa_lb_port),
            "ACTION_LB_PORT": str(self.action_lb_port),
            "WEB_PORT": str(self.web_port),
            "TELEGRAM_WEBHOOK_PORT": self.env.get("TELEGRAM_WEBHOOK_PORT", "8443"),
            "RASA_SERVERS": servers(self.rasa_ports),
            "ACTION_SERVERS": servers(self.action_ports),
        }
        config = TEMPLATE.read_text()
        for key, value in values.items():
            config = config.replace(f"@@{key}@@", value)
        path = self.workdir / "nginx.conf"
        path.write_text(config)
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            folder = self.workdir / f"nginx-{temp}"
            folder.mkdir(exist_ok=True)
            if user_line:
                os.chown(folder, *_nobody())
        return path

    # --- processes -------------------------------------------------------------------------------
    def spawn(self, name: str) -> None:
        process = self.processes[name]
        log = self.workdir / f"{name}.log"
        process.log_handle = log.open("a")
        env = dict(self.env)
        if name == "web":
            env["WEB_PORT"] = str(self.web_port)
            env["WEB_TRUSTED_PROXIES"] = "127.0.0.1"  # behind nginx: believe its X-Forwarded-For only
        # own session: Ctrl+C reaches the supervisor only, which then stops everything in order
        process.popen = subprocess.Popen(
            process.command,
            cwd=ROOT,
            env=env,
            stdout=process.log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_up(self, name: str, timeout: float = START_TIMEOUT_S) -> None:
        process = self.processes[name]
        if process.health_url is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.popen is None or process.popen.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{tail(self.workdir / f'{name}.log')}")
            try:
                if requests.get(process.health_url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"{name} did not come up in {timeout:.0f} s:\n{tail(self.workdir / f'{name}.log')}"
        )

    def start(self, names: list[str] | None = None) -> None:
        """Starts the given processes (default: all, in dependency order) and waits until each answers."""
        if names is None:
            self.prepare_databases()
            self.render_nginx()
            names = ["nginx", *self._names("actions"), *self._names("rasa"), "web", "telegram", "analytics"]
        names = [n for n in names if n in self.processes]
        # start together (Rasa servers load their models in parallel), then wait for each
        for name in names:
            self.spawn(name)
            if name == "nginx":
                self.wait_up(name)
        for name in names:
            self.wait_up(name)
        # nginx skips a server for fail_timeout after it refused a connection: wait until requests
        # through nginx reach the restarted servers again
        if "nginx" in names or any(n.startswith("actions-") for n in names):
            self._wait_through_nginx(f"http://127.0.0.1:{self.action_lb_port}/health")
        if "nginx" in names or any(n.startswith("rasa-") for n in names):
            self._wait_through_nginx(f"{self.rasa_url}/")

    def _wait_through_nginx(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{url} does not answer through nginx:\n{tail(self.workdir / 'nginx-error.log')}")

    def _names(self, prefix: str) -> list[str]:
        return [n for n in self.processes if n.startswith(prefix + "-")]

    def prepare_databases(self) -> None:
        from bot.db.migrate import upgrade

        tracker_url = make_url("postgresql+psycopg://").set(
            username=self.env.get("TRACKER_DB_USER") or None,
            password=self.env.get("TRACKER_DB_PASSWORD") or None,
            host=self.env.get("TRACKER_DB_HOST", "127.0.0.1"),
            port=int(self.env.get("TRACKER_DB_PORT", "5432")),
            database=self.env.get("TRACKER_DB_NAME", "rasa_tracker"),
        )
        login = self.env.get("TRACKER_DB_LOGIN_DB") or "postgres"
        ensure_postgres_database(tracker_url.render_as_string(hide_password=False), login)
        clinic = self.env["DATABASE_URL"]
        if make_url(clinic).get_backend_name() == "postgresql":
            ensure_postgres_database(clinic, login)
        upgrade(clinic)
        events = self.env.get("ANALYTICS_EVENTS_DB", "")
        if events and make_url(events).get_backend_name() == "postgresql":
            ensure_postgres_database(events, login)

    def send_signal(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Sends a signal to one process (SIGKILL: a crash; SIGTERM: a graceful stop)."""
        process = self.processes[name]
        if process.popen is not None and process.popen.poll() is None:
            process.popen.send_signal(sig)

    def wait_stopped(self, name: str, timeout: float = STOP_TIMEOUT_S) -> int | None:
        process = self.processes[name]
        if process.popen is None:
            return None
        try:
            code = process.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            code = process.popen.wait()
        if process.log_handle is not None:
            process.log_handle.close()
        process.popen = None
        return code

    def stop_one(self, name: str, sig: int = signal.SIGTERM) -> int | None:
        self.send_signal(name, sig)
        return self.wait_stopped(name)

    def stop(self) -> None:
        """Graceful, in order: nginx finishes what it proxies, Rasa finishes in-flight messages."""
        if self.processes["nginx"].popen is not None:
            self.send_signal("nginx", signal.SIGQUIT)  # nginx: graceful shutdown
            self.wait_stopped("nginx")
        for group in (self._names("rasa"), self._names("actions"), ["web", "telegram", "analytics"]):
            group = [n for n in group if n in self.processes]
            for name in group:
                self.send_signal(name, signal.SIGTERM)
            for name in group:
                self.wait_stopped(name)

    def pid(self, name: str) -> int | None:
        process = self.processes[name].popen
        return process.pid if process is not None and process.poll() is None else None

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{tail(log)}" for log in sorted(self.workdir.glob("*.log")))


def analytics_source(env: dict[str, str]) -> str:
    """Where the Rasa servers' event broker puts the events (no password)."""
    broker = env.get("ANALYTICS_BROKER_URL", "").strip()
    if broker.lower() in ("off", "none"):
        return "off"
    if broker:
        return f"RabbitMQ {broker.rsplit('@', 1)[-1]}, queue {env.get('ANALYTICS_QUEUE', 'rasa_events')}"
    return make_url(env["ANALYTICS_EVENTS_DB"]).render_as_string(hide_password=True)


def _nobody() -> tuple[int, int]:
    import grp
    import pwd

    return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the scaled assistant behind nginx (make run-scaled).")
    parser.add_argument("--rasa-servers", type=int, default=2)
    parser.add_argument("--action-servers", type=int, default=2)
    parser.add_argument("--public-port", type=int, default=int(os.environ.get("SCALED_PUBLIC_PORT", 8080)))
    args = parser.parse_args()

    env = dict(os.environ)
    cluster = Cluster(
        workdir=ROOT / "var" / "scaled",
        env=env,
        rasa_servers=args.rasa_servers,
        action_servers=args.action_servers,
        public_port=args.public_port,
        rasa_lb_port=int(env.get("RASA_PORT", 5005)),
        action_lb_port=int(env.get("ACTION_PORT", 5055)),
        web_port=int(env.get("WEB_PORT", 8000)),
    )
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        print(
            f"run-scaled: starting {len(cluster.processes)} processes (logs in {cluster.workdir}) …",
            flush=True,
        )
        cluster.start()
        print(
            f"""
  Website, widget, reception  {cluster.public_url}/            (nginx, public listener)
  Rasa (REST, HTTP API)       {cluster.rasa_url}   (nginx → {len(cluster.rasa_ports)} Rasa servers, internal only)
  Action servers              http://127.0.0.1:{cluster.action_lb_port}   (nginx → {len(cluster.action_ports)} servers)
  Health                      {cluster.public_url}/healthz (web app)  {cluster.rasa_url}/ (Rasa)
                              http://127.0.0.1:{cluster.action_lb_port}/health (actions)  …/nginx-health (nginx)
  Stores                      tracker: PostgreSQL {env.get("TRACKER_DB_NAME")}  locks: Redis db {env.get("REDIS_DB")}
                              clinic: {make_url(env["DATABASE_URL"]).render_as_string(hide_password=True)}
  Clinic analytics            {cluster.public_url}/reception/analytics   (consumer: {"on" if "analytics" in cluster.processes else "off"}; events: {analytics_source(cluster.env)})

  Ctrl+C stops everything gracefully (in-flight messages finish first).
""",
            flush=True,
        )
        while True:
            for name, process in cluster.processes.items():
                if process.popen is not None and process.popen.poll() is not None:
                    print(
                        f"run-scaled: {name} exited ({process.popen.returncode}); see {cluster.workdir}/{name}.log"
                    )
                    process.popen = None
            time.sleep(2)
    except KeyboardInterrupt:
        print("\nrun-scaled: stopping gracefully …", flush=True)
    except RuntimeError as error:
        print(f"run-scaled: {error}", file=sys.stderr)
    finally:
        cluster.stop()
        print("run-scaled: stopped.")


if __name__ == "__main__":
    main()
