"""docker/: the compose files parse and wire ES security, the one-shot indexer, the UI and the GPU profile.

Images cannot be built here (no Docker engine): this checks the files, not the images.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
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


def test_compose_merges_only_single_maps() -> None:
    """A multi-map merge (`<<: [*a, *b]`) is resolved by the YAML library's own order: never use one."""
    for path in DOCKER.glob("docker-compose*.yml"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            assert not ("<<:" in code and "[" in code), f"{path.name}:{number} merges several maps"


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed (.ci/run installs it)")
def test_compose_config_as_compose_resolves_it() -> None:
    """What compose itself renders (`docker-compose config`, no daemon needed): the GPU services build CUDA."""
    env = {**os.environ, "ELASTIC_PASSWORD": "unused"}
    for files in (["docker-compose.yml"], ["docker-compose.yml", "docker-compose.dev.yml"]):
        args = [arg for name in files for arg in ("-f", str(DOCKER / name))]
        rendered = subprocess.run(
            ["docker-compose", *args, "--profile", "gpu", "config"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout
        services = yaml.safe_load(rendered)["services"]
        for name in ("ui", "indexer"):
            assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"
            assert services[f"{name}-gpu"]["build"]["dockerfile"] == "docker/Dockerfile.cuda"
            assert services[f"{name}-gpu"]["image"] == "reviewqa:cuda"
            assert services[name]["image"] == "reviewqa:cpu"
            assert services[f"{name}-gpu"]["deploy"]["resources"]["reservations"]["devices"][0]["driver"] == "nvidia"
            assert "deploy" not in services[name]


def test_dockerfiles_pin_torch() -> None:
    cpu = (DOCKER / "Dockerfile").read_text()
    cuda = (DOCKER / "Dockerfile.cuda").read_text()
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in cpu
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/${TORCH_CUDA}" in cuda
