"""Static checks of the Kubernetes manifests in deploy/k8s (no cluster needed).

Every YAML file must parse; every Deployment must be hardened, probed and resourced; no secret value
may be committed; every kustomization must list files that exist; every process of the topology
(svc_runtime.devstack.topology) must have its Deployment, Service and PodDisruptionBudget. When
`kubectl` (or `kustomize`) is on PATH the overlays are also rendered and checked as a whole.

Run: `pytest deploy/tests`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from svc_runtime.devstack.topology import GATEWAY, SERVICES, ServiceDef

DEPLOY = Path(__file__).resolve().parents[1]
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists())
IMAGE = "supervision-platform"
PROCESSES: tuple[ServiceDef, ...] = (*SERVICES, GATEWAY)
# Environment variables whose value must come from a Secret, never a literal.
SECRET_ENV = re.compile(r"(PASSWORD|SECRET|TOKEN|PRIVATE|DATABASE_URL|REDIS_URL|CREDENTIAL)", re.IGNORECASE)
PLACEHOLDER = "CHANGE_ME"

Doc = dict[str, Any]


def yaml_files() -> list[Path]:
    return sorted([*K8S.rglob("*.yaml"), *K8S.rglob("*.yml")])


def load(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def base_docs() -> list[Doc]:
    return [d for f in yaml_files() if f.is_relative_to(BASE) and f.name != "kustomization.yaml" for d in load(f)]


def of_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


def k8s_name(svc: ServiceDef) -> str:
    """Deployment/Service name of a process: its directory name (catalog-svc, ..., gateway)."""
    return svc.dist


def containers(deployment: Doc) -> list[Doc]:
    return deployment["spec"]["template"]["spec"]["containers"]


def env_of(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


# ---- files ---------------------------------------------------------------------------------------


def test_every_yaml_file_parses_into_kubernetes_objects() -> None:
    files = yaml_files()
    assert files, "no manifests found"
    for path in files:
        docs = load(path)
        assert docs, f"{path} is empty"
        for doc in docs:
            assert isinstance(doc, dict), f"{path}: not a mapping"
            assert doc.get("apiVersion"), f"{path}: apiVersion missing"
            assert doc.get("kind"), f"{path}: kind missing"
            if doc["kind"] != "Kustomization":
                assert doc.get("metadata", {}).get("name"), f"{path}: {doc['kind']} without a name"


@pytest.mark.parametrize("kustomization", sorted(K8S.rglob("kustomization.yaml")), ids=lambda p: str(p.parent.name))
def test_kustomization_lists_files_that_exist(kustomization: Path) -> None:
    k = load(kustomization)[0]
    here = kustomization.parent
    for ref in (*k.get("resources", []), *k.get("components", [])):
        target = (here / ref).resolve()
        assert target.is_file() or (target / "kustomization.yaml").is_file(), f"{kustomization}: {ref} missing"
    for patch in k.get("patches", []):
        if "path" in patch:
            assert (here / patch["path"]).is_file(), f"{kustomization}: patch {patch['path']} missing"
    for gen in (*k.get("configMapGenerator", []), *k.get("secretGenerator", [])):
        for entry in (*gen.get("files", []), *gen.get("envs", [])):
            source = here / entry.split("=", 1)[-1]
            if source.name == "secrets.env":
                # The real file is git-ignored; its committed template must be there instead.
                assert (here / "secrets.example.env").is_file(), f"{here}: secrets.example.env missing"
            else:
                assert source.is_file(), f"{kustomization}: {entry} missing"


def test_real_secret_files_are_git_ignored() -> None:
    patterns = (DEPLOY / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "k8s/overlays/*/secrets.env" in patterns
    if shutil.which("git"):
        for overlay in OVERLAYS:
            probe = overlay / "secrets.env"
            result = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=DEPLOY, check=False)
            assert result.returncode == 0, f"{probe} is not ignored by git"


# ---- no secrets committed ------------------------------------------------------------------------


def test_no_secret_objects_or_literal_secret_values() -> None:
    for path in yaml_files():
        for doc in load(path):
            assert doc["kind"] != "Secret", f"{path}: Secret objects are generated from secrets.env, not committed"
            for gen in doc.get("configMapGenerator", []) if doc["kind"] == "Kustomization" else []:
                for literal in gen.get("literals", []):
                    key, _, value = literal.partition("=")
                    assert not SECRET_ENV.search(key), f"{path}: {key} belongs in the Secret"
                    assert not urlsplit(value).password, f"{path}: credentials in {key}"
            for gen in doc.get("secretGenerator", []) if doc["kind"] == "Kustomization" else []:
                assert not gen.get("literals"), f"{path}: secretGenerator with literal values"
    for deployment in of_kind(base_docs(), "Deployment").values():
        for container in containers(deployment):
            for name, entry in env_of(container).items():
                if SECRET_ENV.search(name):
                    assert "value" not in entry, f"{deployment['metadata']['name']}: {name} is a literal"
                    assert entry["valueFrom"]["secretKeyRef"]["name"] == "platform-secrets"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_secret_examples_hold_placeholders_for_every_referenced_key(overlay: Path) -> None:
    example = read_env_file(overlay / "secrets.example.env")
    referenced = {
        entry["valueFrom"]["secretKeyRef"]["key"]
        for deployment in of_kind(base_docs(), "Deployment").values()
        for container in containers(deployment)
        for entry in container.get("env", [])
        if "secretKeyRef" in entry.get("valueFrom", {})
    }
    assert referenced <= example.keys(), f"missing in secrets.example.env: {referenced - example.keys()}"
    for key, value in example.items():
        password = urlsplit(value).password if "://" in value else None
        if password is not None:
            assert password == PLACEHOLDER, f"{key}: use {PLACEHOLDER} as the password in the example"
        elif re.search(r"PASSWORD|SECRET", key):
            assert value == PLACEHOLDER, f"{key}: use {PLACEHOLDER} in the example"


# ---- workloads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("svc", PROCESSES, ids=lambda s: s.name)
def test_every_process_has_deployment_service_and_pdb(svc: ServiceDef) -> None:
    docs = base_docs()
    name = k8s_name(svc)
    deployment = of_kind(docs, "Deployment").get(name)
    service = of_kind(docs, "Service").get(name)
    pdb = of_kind(docs, "PodDisruptionBudget").get(name)
    assert deployment, f"{name}: Deployment missing"
    assert service, f"{name}: Service missing"
    assert pdb, f"{name}: PodDisruptionBudget missing"

    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (deployment["spec"]["selector"]["matchLabels"], pdb["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]

    (container,) = containers(deployment)
    assert container["image"] == IMAGE
    command = container["command"]
    assert command[:2] == ["uvicorn", svc.app]
    assert command[2:6] == ["--host", "0.0.0.0", "--port", "8080"]
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"]

    env = env_of(container)
    assert env["SERVICE_NAME"]["value"] == name
    assert {"configMapRef": {"name": "platform-config"}} in container["envFrom"]
    if svc.database:
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == f"{svc.env_prefix}_DATABASE_URL"
        assert env["RUN_MIGRATIONS_ON_START"]["value"] == "true"
    else:
        assert "DATABASE_URL" not in env


@pytest.mark.parametrize("svc", PROCESSES, ids=lambda s: s.name)
def test_deployment_is_hardened_probed_and_resourced(svc: ServiceDef) -> None:
    deployment = of_kind(base_docs(), "Deployment")[k8s_name(svc)]
    template = deployment["spec"]["template"]
    pod = template["spec"]
    (container,) = pod["containers"]

    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "supervision-platform"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert not sc["capabilities"].get("add")

    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= container["resources"][kind].keys(), f"{kind} missing"

    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in ("http", 8080)

    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "8080"
    assert annotations["prometheus.io/path"] == "/metrics"

    spread = pod["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in spread} >= {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}  # only scratch space is writable


def test_gateway_routes_to_every_service_and_has_ingress_and_autoscaler() -> None:
    docs = base_docs()
    gateway = of_kind(docs, "Deployment")["gateway"]
    urls = json.loads(env_of(containers(gateway)[0])["SERVICE_URLS"]["value"])
    assert urls.keys() == {s.name for s in SERVICES}
    services = of_kind(docs, "Service")
    for name, url in urls.items():
        host = urlsplit(url).hostname
        assert host in services, f"{name}: {url} is not a Service"

    ingress = of_kind(docs, "Ingress")["gateway"]
    backends = [p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert set(backends) == {"gateway"}
    hpa = of_kind(docs, "HorizontalPodAutoscaler")["gateway"]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert hpa["spec"]["minReplicas"] >= 2
    assert "replicas" not in gateway["spec"], "the HPA owns the gateway's replica count"


def test_service_account_and_network_policies() -> None:
    docs = base_docs()
    (account,) = of_kind(docs, "ServiceAccount").values()
    assert account["automountServiceAccountToken"] is False

    policies = of_kind(docs, "NetworkPolicy")
    deny = policies["platform-default-deny"]["spec"]
    assert deny["podSelector"]["matchLabels"] == {"app.kubernetes.io/part-of": "supervision-platform"}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny

    # Backend services take traffic from the gateway only.
    services = policies["services"]["spec"]
    sources = [peer for rule in services["ingress"] for peer in rule["from"]]
    assert sources == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}]
    # ... and auth-svc also from the platform's own pods (JWKS).
    auth = policies["auth-svc"]["spec"]
    assert auth["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "auth-svc"}


# ---- rendered overlays (kubectl or kustomize must be on PATH: the machine image has kubectl) ----------------------------------------------


def _renderer() -> list[str] | None:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Doc]]:
    renderer = _renderer()
    assert renderer is not None, "rendering the overlays needs kubectl or kustomize on PATH"
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets.env"))
    out = {}
    for overlay in OVERLAYS:
        target = copy / "overlays" / overlay.name
        shutil.copy(target / "secrets.example.env", target / "secrets.env")
        result = subprocess.run([*renderer, str(target)], capture_output=True, text=True, check=False, timeout=120)
        assert result.returncode == 0, f"{overlay.name}: {result.stderr}"
        out[overlay.name] = [d for d in yaml.safe_load_all(result.stdout) if d]
    return out


@pytest.mark.parametrize("overlay", [p.name for p in OVERLAYS])
def test_overlay_renders_consistently(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    namespaces = {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}
    assert len(namespaces) == 1, f"one namespace expected, got {namespaces}"
    assert None not in namespaces, "every object must be namespaced by the overlay"

    (secret,) = of_kind(docs, "Secret").values()
    (config,) = of_kind(docs, "ConfigMap").values()
    deployments = of_kind(docs, "Deployment")
    assert set(deployments) == {k8s_name(s) for s in PROCESSES}
    for deployment in deployments.values():
        (container,) = containers(deployment)
        assert ":" in container["image"], "the overlay must set the image tag"
        assert container["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]
        for entry in container.get("env", []):
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == secret["metadata"]["name"]
                assert ref["key"] in secret["data"]

    data = config["data"]
    host = of_kind(docs, "Ingress")["gateway"]["spec"]["rules"][0]["host"]
    scheme = "https" if of_kind(docs, "Ingress")["gateway"]["spec"].get("tls") else "http"
    assert data["AUTH_ISSUER"] == f"{scheme}://{host}/auth", "AUTH_ISSUER is the public gateway URL + /auth"
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    if overlay == "dev":
        assert data["KAFKA_ENABLE_IDEMPOTENCE"] == "false"
        assert data["ENVIRONMENT"] == "development"
        assert all(d["spec"]["replicas"] == 1 for d in deployments.values())
        assert not hpas
    if overlay == "production":
        assert data["KAFKA_ENABLE_IDEMPOTENCE"] == "true"
        assert data["ENVIRONMENT"] == "production"
        assert scheme == "https"
        assert all(d["spec"]["replicas"] >= 2 for n, d in deployments.items() if n != "gateway")
        assert hpas["gateway"]["spec"]["minReplicas"] >= 2
