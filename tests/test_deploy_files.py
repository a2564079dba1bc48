"""docker-compose.yaml and the Dockerfile: parsed and checked (there is no Docker engine here)."""

import re
from pathlib import Path

import yaml

from walidata.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_compose_follows_the_airflow_celery_pattern():
    compose = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-worker", "airflow-triggerer", "airflow-init"} <= set(services)
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
    assert env["WALIDATA_WAREHOUSE_URL"].startswith("postgresql+psycopg://")
    # Every WALIDATA_* variable it sets is one the pipeline reads.
    fields = {f"WALIDATA_{name.upper()}" for name in Settings.model_fields}
    assert {k for k in env if k.startswith("WALIDATA_")} <= fields
    for name, svc in services.items():
        if name.startswith("airflow-"):
            assert svc["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name


def test_no_secret_is_written_in_the_repo_files():
    text = (ROOT / "docker-compose.yaml").read_text()
    for m in re.finditer(r"^\s*[A-Z_]*(PASSWORD|SECRET|FERNET_KEY)[A-Z_]*:\s*(\S+)", text, re.M):
        assert m.group(2).startswith("${"), m.group(0)
    for m in re.finditer(r"://[^:/@\s]+:([^@\s]+)@", text):
        assert m.group(1).startswith("${"), m.group(0)


def test_dockerfile_installs_the_pinned_requirements_on_the_same_airflow():
    docker = (ROOT / "Dockerfile").read_text()
    pinned = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert f"apache/airflow:{pinned}-python3.11" in docker
    assert "pip install --no-cache-dir -r requirements.txt" in docker
