# Walidata image for docker-compose (CeleryExecutor), built on the official Airflow image.
FROM apache/airflow:3.3.2-python3.11

USER airflow
WORKDIR /opt/airflow
# requirements.txt pins the same Airflow as the base image, and installs the walidata package (-e .).
COPY --chown=airflow:root requirements.txt pyproject.toml ./
COPY --chown=airflow:root include ./include
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=airflow:root dags ./dags
COPY --chown=airflow:root plugins ./plugins
COPY --chown=airflow:root great_expectations ./great_expectations
ENV WALIDATA_HOME=/opt/airflow \
    GX_ANALYTICS_ENABLED=false
