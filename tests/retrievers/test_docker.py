"""docker/: the compose files parse and wire ES security, the one-shot indexer, the UI and the GPU profile.

Images cannot be built here (no Docker engine): this checks the files, not the images.
"""

from __future__ import annotations

from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def test_compose_files() -> None:
    compose = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())
    dev = yaml.safe_load((DOCKER / "docker-compose.dev.yml").read_text())
    services = compose["services"]
    es = services["elasticsearch"]["environment"]
    assert es["xpack.security.enabled"] == "true" and "ELASTIC_PASSWORD" in es
    assert es["discovery.type"] == "single-node"
    assert dev["services"]["elasticsearch"]["environment"]["xpack.security.enabled"] == "false"
    assert services["indexer"]["restart"] == "no" and "index" in services["indexer"]["command"]
    assert services["ui"]["depends_on"]["indexer"]["condition"] == "service_completed_successfully"
    for name in ("ui-gpu", "indexer-gpu"):
        service = services[name]
        assert service["profiles"] == ["gpu"] and service["build"]["dockerfile"] == "docker/Dockerfile.cuda"
        (device,) = service["deploy"]["resources"]["reservations"]["devices"]
        assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert "gpu" not in str(services["ui"].get("profiles"))


def test_dockerfiles_pin_torch() -> None:
    cpu = (DOCKER / "Dockerfile").read_text()
    cuda = (DOCKER / "Dockerfile.cuda").read_text()
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in cpu
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/${TORCH_CUDA}" in cuda
