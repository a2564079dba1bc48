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
    for m in re.finditer(r"^\s*([A-Z_]*(PASSWORD|SECRET|FERNET_KEY)[A-Z_]*):\s*(\S+)", text, re.M):
        if not m.group(1).endswith("_FILE"):  # the path of a file of secrets is not a secret
            assert m.group(3).startswith("${"), m.group(0)
    for m in re.finditer(r"://[^:/@\s]+:([^@\s]+)@", text):
        assert m.group(1).startswith("${"), m.group(0)


def test_dockerfile_installs_the_pinned_requirements_on_the_same_airflow():
    docker = (ROOT / "Dockerfile").read_text()
    pinned = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert f"apache/airflow:{pinned}-python3.11" in docker
    assert "pip install --no-cache-dir -r requirements.txt" in docker


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def _mounted(services: dict, name: str) -> list[str]:
    """The container paths of a service's volumes (`source:target[:ro]`, the source may hold `${X:-default}`)."""
    out = []
    for v in services[name].get("volumes", []):
        v = re.sub(r":(ro|rw)$", "", v)
        out.append(v.rsplit(":", 1)[1])
    return out


def test_compose_mounts_every_path_the_settings_use_and_sets_only_settings_it_reads():
    """Each path setting of the pipeline points inside a volume mounted in every Airflow service; the catalog and
    indicator folders (defaults under WALIDATA_HOME) and the package's own reference folder come with ./include."""
    services = _compose()["services"]
    env = services["airflow-worker"]["environment"]
    path_fields = [n for n, f in Settings.model_fields.items() if "Path" in str(f.annotation) and n != "home"]
    path_fields.append("inbox")
    home = "/opt/airflow"
    for name in services:
        if not name.startswith("airflow-"):
            continue
        mounts = _mounted(services, name)
        for field in path_fields:
            value = env.get(f"WALIDATA_{field.upper()}")
            default = Settings.model_fields[field].default
            if Path(default).is_absolute():  # a folder of the package itself (include/reference), in the image too
                default = Path(default).relative_to(ROOT)
            target = value or f"{home}/{default}"
            assert any(target == m or target.startswith(m.rstrip("/") + "/") for m in mounts), (name, field, target)
        assert {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/airflow/include", "/opt/airflow/logs",
                "/opt/airflow/great_expectations"} <= set(mounts), name
    fields = {f"WALIDATA_{n.upper()}" for n in Settings.model_fields}
    assert {k for k in env if k.startswith("WALIDATA_")} <= fields


def test_long_running_services_have_healthchecks_and_workers_scale():
    services = _compose()["services"]
    for name in ("postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-worker", "airflow-triggerer"):
        assert services[name]["healthcheck"]["test"], name
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker  # --scale airflow-worker=N
    init = "\n".join(services["airflow-init"]["command"])
    for step in ("airflow db migrate", "walidata.worker --kolam", "walidata migrasi", "walidata peran",
                 "passwords.json"):
        assert step in init, step


def test_env_example_documents_every_setting_and_every_variable_the_compose_file_reads():
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", example, re.M))
    settings = {f"WALIDATA_{n.upper()}" for n in Settings.model_fields} | {"WALIDATA_PSEUDONYM_KEY",
                                                                          "WALIDATA_RETRIES"}
    mentioned = set(re.findall(r"\b(WALIDATA_[A-Z_]+)\b", example))
    assert settings <= mentioned, sorted(settings - mentioned)
    compose_vars = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", (ROOT / "docker-compose.yaml").read_text()))
    assert compose_vars <= documented, sorted(compose_vars - documented)
    for line in example.splitlines():  # no value for a secret in the example
        m = re.match(r"^([A-Z_]*(PASSWORD|SECRET|FERNET_KEY)[A-Z_]*)=(.*)$", line)
        if m:
            assert m.group(3) == "", line
