"""The compose topology run natively (Docker has no engine here): Airflow's api-server, scheduler, dag-processor,
triggerer and Celery workers as separate processes, on a PostgreSQL metadata database of their own and the local
Redis as broker, with the project's DAGs and plugins. For tests: `Cluster` starts it, talks to the REST API with
a token, and stops everything (each process in its own session, so a kill takes its task processes too)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("WALIDATA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "uji-" + secrets.token_hex(6)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


class Cluster:
    def __init__(self, base: Path, executor: str, walidata_env: dict, workers: int = 0):
        self.base, self.executor, self.workers = Path(base), executor, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metadata = create_database("airflow_uji")
        home = self.base / "airflow"
        home.mkdir(parents=True, exist_ok=True)
        (home / "passwords.json").write_text(json.dumps({"admin": PASSWORD}))
        self.redis_db = 1 + int(uuid.uuid4().int % 14)
        self.env = {
            **os.environ, **walidata_env,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata,
            # psycopg 3 for the async engine too (Airflow's default would be asyncpg, not installed)
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": self.metadata.replace("+psycopg://", "+psycopg_async://"),
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Jakarta",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__AUTH_MANAGER":
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "walidata.worker.nama_pekerja",
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{self.redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"redis://127.0.0.1:6379/{self.redis_db}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self._token: str | None = None

    # ------------------------------------------------------------------------------------------ processes

    def _start(self, name: str, args: list[str], extra: dict | None = None) -> None:
        log = open(self.base / f"{name}.log", "w")  # noqa: SIM115 (kept open for the process's life)
        self.procs[name] = subprocess.Popen(["airflow", *args], env={**self.env, **(extra or {})}, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True, cwd=self.base)

    def start(self) -> Cluster:
        import redis

        redis.Redis(db=self.redis_db).flushdb()
        subprocess.run(["airflow", "db", "migrate"], env=self.env, check=True, capture_output=True, timeout=600)
        # The pool of the publish tasks (walidata_gudang), as `make airflow-db` creates it: a scheduler never
        # schedules a task of a missing pool.
        subprocess.run([sys.executable, "-m", "walidata.worker", "--kolam"], env=self.env, check=True,
                       capture_output=True, timeout=600)
        self._start("api-server", ["api-server", "--port", str(self.port)])
        self._start("scheduler", ["scheduler"])
        self._start("dag-processor", ["dag-processor"])
        self._start("triggerer", ["triggerer"])
        for i in range(1, self.workers + 1):
            self._start(f"pekerja-{i}", ["celery", "worker", "--celery-hostname", f"pekerja-{i}@%h"],
                        {"WALIDATA_NAMA_PEKERJA": f"pekerja-{i}"})
        self._wait_api()
        return self

    def _wait_api(self, timeout: float = 180) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited ({p.returncode}): {self.log_tail(name)}")
            try:
                if httpx.get(f"{self.url}/api/v2/version", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise TimeoutError(f"api-server not up: {self.log_tail('api-server')}")

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything it started (a machine that dies)."""
        p = self.procs[name]
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=30)

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        drop_database(self.metadata)

    def log_tail(self, name: str, n: int = 3000) -> str:
        return (self.base / f"{name}.log").read_text(errors="replace")[-n:]

    # ------------------------------------------------------------------------------------------ REST API

    def token(self) -> str:
        if self._token is None:
            r = httpx.post(f"{self.url}/auth/token", json={"username": "admin", "password": PASSWORD}, timeout=30)
            r.raise_for_status()
            self._token = r.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kw) -> dict:
        r = httpx.request(method, f"{self.url}/api/v2{path}", headers={"Authorization": f"Bearer {self.token()}"},
                          timeout=60, **kw)
        r.raise_for_status()
        return r.json() if r.content else {}

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 300) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            have = {d["dag_id"] for d in self.api("GET", "/dags", params={"limit": 200})["dags"]}
            if set(dag_ids) <= have:
                return
            time.sleep(2)
        raise TimeoutError(f"DAGs not parsed: {sorted(set(dag_ids) - have)}")

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def wait_runs(self, runs: dict[str, str], timeout: float = 1200) -> dict[str, str]:
        end, states = time.monotonic() + timeout, {}
        while time.monotonic() < end:
            states = {d: self.run_state(d, r) for d, r in runs.items()}
            if all(s in ("success", "failed") for s in states.values()):
                return states
            time.sleep(3)
        raise TimeoutError(f"runs not finished: {states}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
