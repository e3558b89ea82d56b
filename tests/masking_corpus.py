"""Connector configs as MLOps teams write them, each with the secrets it holds and what must
stay readable: the corpus the masking tests send through the real API, journal and logs.

Every secret is made up (random-looking, never a working credential); its 6-character
pieces must never show where the mock shows data.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

PIECE = 6


def _fake_base64(seed: str, size: int) -> str:
    """Deterministic base64 text of `size` bytes: a fake key body."""
    data, block = b"", seed.encode()
    while len(data) < size:
        block = hashlib.sha256(block).digest()
        data += block
    return base64.b64encode(data[:size]).decode()


def fake_pem(label: str, seed: str) -> tuple[str, list[str]]:
    """A PEM block and its base64 lines (the secret parts)."""
    body = _fake_base64(seed, 256)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n", lines


def _b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


JWT = ".".join(
    [
        _b64url({"alg": "RS256", "typ": "JWT", "kid": "k-2024"}),
        _b64url({"sub": "svc-ml", "aud": "models", "exp": 1893456000, "scp": "score"}),
        "Qm7fX2cV9kL4pT8sW1zR6yN3bH5jD0gA-eU_oIqMtKxYwZvSaBn",
    ]
)
GCP_PEM, GCP_PEM_LINES = fake_pem("PRIVATE KEY", "gcp-service-account")
GCP_KEY_ID = "3f9c2b7e1d8a4c6b0e5f7a9d2c4b6e8f1a3c5d7e"
SERVICE_ACCOUNT = {
    "type": "service_account",
    "project_id": "ml-prod-4821",
    "private_key_id": GCP_KEY_ID,
    "private_key": GCP_PEM,
    "client_email": "tango-serving@ml-prod-4821.iam.gserviceaccount.com",
    "client_id": "104857392018273645091",
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
}
SSH_PEM, SSH_PEM_LINES = fake_pem("OPENSSH PRIVATE KEY", "git-deploy-key")
AZURE_ACCOUNT_KEY = _fake_base64("azure-account-key", 64)


@dataclass(frozen=True)
class ConnectorConfig:
    """One deployment's init objects, the secrets they hold and texts that must stay shown."""

    name: str
    registry_connector_init: dict[str, Any]
    server_proxy_init: dict[str, Any]
    secrets: tuple[str, ...]
    readable: tuple[str, ...]

    def inits(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.registry_connector_init, self.server_proxy_init

    def payload(self, deployment_key: str | None = None) -> dict[str, Any]:
        module = self.name.replace("-", "_")
        return {
            "deployment_key": deployment_key or f"{self.name}-deployment",
            "registry_connector_class": f"tango_shared.connectors.{module}.RegistryConnector",
            "registry_connector_init": self.registry_connector_init,
            "server_proxy_class": f"tango_shared.connectors.{module}.ServerProxy",
            "server_proxy_init": self.server_proxy_init,
        }


CORPUS: tuple[ConnectorConfig, ...] = (
    ConnectorConfig(
        name="mlflow",
        registry_connector_init={
            "tracking_uri": "https://mlflow-bot:Qx7pLm2vRt9w@mlflow.example.com/api/2.0/mlflow",
            "registry_uri": "https://mlflow-bot:Qx7pLm2vRt9w@mlflow.example.com",
            "experiment_name": "churn-weekly",
            "MLFLOW_TRACKING_USERNAME": "mlflow-bot",
            "MLFLOW_TRACKING_PASSWORD": "Hn3kT6wQz9Ls",
        },
        server_proxy_init={
            "server_url": "http://admin:Zk4nB8cT1yUe@serving.example.com:5001/invocations",
            "redis_url": "redis://:R3d1sPwQ7vX2@cache.internal:6379/0",
            "request_timeout": 30,
        },
        secrets=("Qx7pLm2vRt9w", "Hn3kT6wQz9Ls", "Zk4nB8cT1yUe", "R3d1sPwQ7vX2"),
        readable=(
            "https://mlflow-bot:***@mlflow.example.com/api/2.0/mlflow",
            "serving.example.com:5001/invocations",
            "cache.internal:6379/0",
            "churn-weekly",
        ),
    ),
    ConnectorConfig(
        name="databricks",
        registry_connector_init={
            "model_registry_url": "https://adb-7405611234567890.3.azuredatabricks.net",
            "tracking_server_url": "https://adb-7405611234567890.3.azuredatabricks.net",
            "tracking_server_pat": "dapi0f3c9a7b2e4d6f8a1c3e5b7d9f0a2c4e",
        },
        server_proxy_init={
            "server_proxy_url": "https://adb-7405611234567890.3.azuredatabricks.net/serving",
            # A token under a key that names no credential: found by its shape.
            "workspace_connection": {
                "kind": "pat",
                "value": "dapi9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b-2",
            },
            "serving_endpoint": "churn-model-prod",
        },
        secrets=(
            "dapi0f3c9a7b2e4d6f8a1c3e5b7d9f0a2c4e",
            "dapi9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b-2",
        ),
        readable=("adb-7405611234567890.3.azuredatabricks.net/serving", "churn-model-prod"),
    ),
    ConnectorConfig(
        name="azureml",
        registry_connector_init={
            "subscription_id": "7d1c0a9e-3b2f-4e6d-8c5a-0f1e2d3c4b5a",
            "resource_group": "rg-ml-prod",
            "workspace_name": "aml-prod",
            "client_id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
            "clientSecret": "Xy8~Q2w.E3r_T4y-U5i6O7p8",
            "storage": (
                "DefaultEndpointsProtocol=https;AccountName=amlstore;"
                f"AccountKey={AZURE_ACCOUNT_KEY};EndpointSuffix=core.windows.net"
            ),
        },
        server_proxy_init={
            "scoring_uri": "https://churn.westeurope.inference.ml.azure.com/score",
            "events": (
                "Endpoint=sb://aml-events.servicebus.windows.net/;"
                "SharedAccessKeyName=RootManageSharedAccessKey;"
                "SharedAccessKey=Gh5Jk6Lm7Np8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6gH7=;EntityPath=scores"
            ),
            "feature_store": (
                "Server=tcp:aml-sql.database.windows.net,1433;Database=features;"
                "User ID=mladmin;Password=Vb7nM3kL9pQ2;Encrypt=True"
            ),
            "model_blob": (
                "https://amlstore.blob.core.windows.net/models/churn.pkl?sv=2022-11-02&ss=b"
                "&sp=r&se=2030-01-01T00:00:00Z&sig=Mn0pQr1sTu2vWx3yZa4bCd5eFg6hIj7kLm8nOp9q%3D"
            ),
            "primaryConnectionString": (
                "HostName=hub.azure-devices.net;SharedAccessKey=Wq9Er8Ty7Ui6"
            ),
        },
        secrets=(
            "Xy8~Q2w.E3r_T4y-U5i6O7p8",
            AZURE_ACCOUNT_KEY,
            "Gh5Jk6Lm7Np8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6gH7=",
            "Vb7nM3kL9pQ2",
            "Mn0pQr1sTu2vWx3yZa4bCd5eFg6hIj7kLm8nOp9q%3D",
            "Wq9Er8Ty7Ui6",
        ),
        readable=(
            "AccountName=amlstore",
            "EndpointSuffix=core.windows.net",
            "SharedAccessKeyName=RootManageSharedAccessKey",
            "User ID=mladmin",
            "amlstore.blob.core.windows.net/models/churn.pkl?sv=2022-11-02",
            "churn.westeurope.inference.ml.azure.com/score",
            "rg-ml-prod",
        ),
    ),
    ConnectorConfig(
        name="sagemaker",
        registry_connector_init={
            "region_name": "eu-west-1",
            "aws_access_key_id": "AKIAZ7Q4W2E8R6T1Y3U5",
            "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8Rt4Lk2m",
            "aws_session_token": "IQoJb3JpZ2luX2VjEOr/wEaCXVzLWVhc3QtMSJHMEUCIQDx7Kp9Lm2Nq",
            "role_arn": "arn:aws:iam::123456789012:role/SageMakerExecution",
            "model_package_group": "churn-models",
        },
        server_proxy_init={
            "endpoint_name": "churn-endpoint",
            "model_data": "s3://ml-models/churn/model.tar.gz",
            "env": {
                "AWS_ACCESS_KEY_ID": "ASIAY5T3R1E9W7Q2U4I6",
                "AWS_SECRET_ACCESS_KEY": "Je8Hu7Gy6Ft5Dr4Se3Aw2Qz1Xc0Vb9Nm8Lk7Jh6g",
                "SAGEMAKER_PROGRAM": "inference.py",
            },
            "presigned_model": (
                "https://ml-models.s3.amazonaws.com/churn/model.tar.gz"
                "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                "&X-Amz-Credential=AKIAQ2W3E4R5T6Y7U8I9%2F20240101%2Feu-west-1%2Fs3%2Faws4_request"
                "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
                "&X-Amz-Security-Token=FwoGZXIvYXdzEJr3Kp9Lm2NqTz"
                "&X-Amz-Signature=5d41402abc4b2a76b9719d911017c592ae2f5d41402abc4b2a76b9719d9110"
            ),
        },
        secrets=(
            "AKIAZ7Q4W2E8R6T1Y3U5",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8Rt4Lk2m",
            "IQoJb3JpZ2luX2VjEOr/wEaCXVzLWVhc3QtMSJHMEUCIQDx7Kp9Lm2Nq",
            "ASIAY5T3R1E9W7Q2U4I6",
            "Je8Hu7Gy6Ft5Dr4Se3Aw2Qz1Xc0Vb9Nm8Lk7Jh6g",
            "AKIAQ2W3E4R5T6Y7U8I9",
            "FwoGZXIvYXdzEJr3Kp9Lm2NqTz",
            "5d41402abc4b2a76b9719d911017c592ae2f5d41402abc4b2a76b9719d9110",
        ),
        readable=(
            "arn:aws:iam::123456789012:role/SageMakerExecution",
            "s3://ml-models/churn/model.tar.gz",
            "ml-models.s3.amazonaws.com/churn/model.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-SignedHeaders=host",
            "inference.py",
        ),
    ),
    ConnectorConfig(
        name="vertex",
        registry_connector_init={
            "project": "ml-prod-4821",
            "location": "europe-west4",
            "service_account_info": SERVICE_ACCOUNT,  # nested: masked by key
        },
        server_proxy_init={
            "endpoint_id": "projects/ml-prod-4821/locations/europe-west4/endpoints/8124",
            "service_account_json": json.dumps(SERVICE_ACCOUNT),  # a string: by shape
        },
        secrets=(GCP_KEY_ID, *GCP_PEM_LINES),
        readable=(
            "tango-serving@ml-prod-4821.iam.gserviceaccount.com",
            "https://oauth2.googleapis.com/token",
            "https://www.googleapis.com/oauth2/v1/certs",
            "projects/ml-prod-4821/locations/europe-west4/endpoints/8124",
        ),
    ),
    ConnectorConfig(
        name="huggingface",
        registry_connector_init={
            "model_id": "acme/churn-bert",
            "revision": "main",
            "hf_token": "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
            "tokenizer": "bert-base-uncased",
            "max_tokens": 512,
        },
        server_proxy_init={
            "endpoint_url": "https://xyz123.eu-west-1.aws.endpoints.huggingface.cloud",
            "headers": {"Authorization": "Bearer hf_ZyXwVuTsRqPoNmLkJiHgFeDcBa987654"},
            "generation": {"max_new_tokens": 128, "temperature": 0.2},
            "fallback_model": {"provider": "openai", "value": "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl"},
        },
        secrets=(
            "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
            "hf_ZyXwVuTsRqPoNmLkJiHgFeDcBa987654",
            "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl",
        ),
        readable=(
            "acme/churn-bert",
            "bert-base-uncased",
            "xyz123.eu-west-1.aws.endpoints.huggingface.cloud",
            '"max_tokens": 512',
            '"max_new_tokens": 128',
        ),
    ),
    ConnectorConfig(
        name="generic-http",
        registry_connector_init={
            "base_url": "https://models.example.com/v1",
            "model_repo": "https://ghp_R4nD0mT0k3nV4lu3F0rT3st1ngXyZ987654:x-oauth-basic@github.com/acme/models.git",
            "deploy_key": SSH_PEM,
            "notify": {"channel": "#ml-alerts", "bot": "xoxb-2048-4096-Sl4ckB0tT0k3n"},
        },
        server_proxy_init={
            "base_url": "https://serving.example.com/v1/models/churn:predict",
            "headers": {
                "Authorization": f"Bearer {JWT}",
                "X-Api-Key": "k3Y9f8e7d6c5b4a3",
                "Cookie": "session=S3ss10nV4lu3Qw; theme=dark",
                "X-Request-Source": "tango",
            },
            "probe": {"Proxy-Authorization": "Basic bWxvcHM6UHJvWHlQd0Q0Mg=="},
            "timeout_seconds": 30,
        },
        secrets=(
            "ghp_R4nD0mT0k3nV4lu3F0rT3st1ngXyZ987654",
            "x-oauth-basic",
            *SSH_PEM_LINES,
            "xoxb-2048-4096-Sl4ckB0tT0k3n",
            JWT,
            "k3Y9f8e7d6c5b4a3",
            "S3ss10nV4lu3Qw",
            "bWxvcHM6UHJvWHlQd0Q0Mg==",
        ),
        readable=(
            "github.com/acme/models.git",
            "serving.example.com/v1/models/churn:predict",
            "#ml-alerts",
            '"X-Request-Source": "tango"',
        ),
    ),
    ConnectorConfig(
        name="nested",
        registry_connector_init={
            "database": {
                "host": "db.internal",
                "port": 5432,
                "credentials": {"username": "ml_ro", "value": "Cr3dN3st3dV4lQ"},
            },
            "ftp": {"user": "bob", "passwd": "Pa55wdFtpX9k"},
            "registry": {"apikey": "ApK3yV4lu3Q7z", "api_version": "2024-01"},
            "proxy": {"pwd": "Pwd5ecretZ8q"},
            "sentry": {"dsn": "https://f4e3d2c1b0a9@o4501.ingest.sentry.io/4502"},
            "db_url": "postgresql://ml:PgUrlPw77Kq@db.internal:5432/features",
            "auth": {"scheme": "oauth2", "client": "tango", "refresh": "RfT0k3nNest3d"},
        },
        server_proxy_init={
            "tracking_server_pat": "dapi-Xq7Rt2Lm9Kp4",
            "server_proxy_pat": "dapi-Wz3Hn8Bv5Jc1",
            "privateKeyId": "PkId9a8b7c6d",
            "env": {"MLFLOW_TRACKING_TOKEN": "MlTr4ckT0kQ", "PATH": "/usr/local/bin"},
            "keyspace": "features_v2",
            "author": "ml-platform-team",
        },
        secrets=(
            "Cr3dN3st3dV4lQ",
            "Pa55wdFtpX9k",
            "ApK3yV4lu3Q7z",
            "Pwd5ecretZ8q",
            "f4e3d2c1b0a9",
            "PgUrlPw77Kq",
            "RfT0k3nNest3d",
            "dapi-Xq7Rt2Lm9Kp4",
            "dapi-Wz3Hn8Bv5Jc1",
            "PkId9a8b7c6d",
            "MlTr4ckT0kQ",
        ),
        readable=(
            "db.internal:5432/features",
            '"api_version": "2024-01"',
            '"PATH": "/usr/local/bin"',
            '"keyspace": "features_v2"',
            '"author": "ml-platform-team"',
            '"user": "bob"',
        ),
    ),
)


def all_secrets() -> list[str]:
    return [secret for config in CORPUS for secret in config.secrets]


def pieces(secret: str) -> Iterator[str]:
    """The secret itself and every run of PIECE characters of it."""
    yield secret
    for start in range(max(len(secret) - PIECE + 1, 0)):
        yield secret[start : start + PIECE]


def leaks(text: str, secrets: list[str] | tuple[str, ...]) -> list[str]:
    """The secrets (or 6-character pieces of them) that `text` shows."""
    return sorted({piece for secret in secrets for piece in pieces(secret) if piece in text})
