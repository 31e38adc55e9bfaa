"""deploy/: the nginx config is valid nginx, the Kubernetes manifests render, and no
file holds a cookie secret. (tests/e2e/test_browser_scaleout.py runs the nginx config
in front of two app processes.)"""

import re
import shutil
import subprocess

import pytest

from tests.e2e.servers import ROOT, nginx_command, require_nginx, write_nginx_conf

DEPLOY = ROOT / "deploy"


def test_nginx_accepts_the_site_config(tmp_path):
    conf = write_nginx_conf(tmp_path, ["127.0.0.1:8501", "127.0.0.1:8502"], 8080)
    result = subprocess.run([*nginx_command(require_nginx(), tmp_path, conf), "-t"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_no_cookie_secret_is_committed():
    compose = (DEPLOY / "docker-compose.yml").read_text()
    # Taken from deploy/.env or the environment, and compose refuses to start without it.
    assert "STREAMLIT_SERVER_COOKIE_SECRET: ${STREAMLIT_SERVER_COOKIE_SECRET:?" in compose
    example_env = (DEPLOY / ".env.example").read_text()
    assert re.search(r"^STREAMLIT_SERVER_COOKIE_SECRET=$", example_env, re.M)
    assert re.search(r'^  cookie-secret: ""', (DEPLOY / "k8s" / "secret.example.yaml")
                     .read_text(), re.M)
    assert "deploy/.env" in (ROOT / ".gitignore").read_text().splitlines()


def test_kubernetes_manifests_render():
    kubectl = shutil.which("kubectl")
    if not kubectl:
        # An optional check (CI does not install kubectl): it parses the YAML.
        pytest.skip("NO KUBECTL: deploy/k8s not rendered: SKIPPED, not passed")
    result = subprocess.run([kubectl, "kustomize", str(DEPLOY / "k8s")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rendered = result.stdout
    kinds = re.findall(r"^kind: (\w+)$", rendered, re.M)
    assert sorted(kinds) == ["Deployment", "Ingress", "Service"]  # no Secret
    assert "image: registry.example.org/optviz:latest" in rendered
    assert rendered.count("path: /_stcore/health") == 3  # startup, readiness, liveness
    assert "nginx.ingress.kubernetes.io/affinity: cookie" in rendered
