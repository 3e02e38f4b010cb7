"""Stack files: ``Pulumi.<stack>.yaml`` read into the config map the engine would pass, and planned."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..canonical import sha256_hex
from ..config import CONFIG_KEY, SECRET_PLACEHOLDER
from ..errors import LinkConfigError
from ..policy import load_yaml
from .runtime import Ambient, StackPlan, run_program


@dataclass(frozen=True)
class StackFile:
    path: Path
    project_root: Path
    project: str
    stack: str
    config: dict[str, str]
    secret_keys: tuple[str, ...]
    secure_values: dict[str, str]
    """Key path of each ``secure:`` value -> fingerprint of its ciphertext."""
    environments: tuple[str, ...] = ()
    """Pulumi ESC environments the stack imports (``environment:``): the offline plan cannot resolve them."""


def find_project_root(start: Path) -> Path:
    for folder in [start, *start.parents]:
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise LinkConfigError(str(start), None, "a stack file inside a Pulumi project (no Pulumi.yaml above it)")


def _replace_secure(value: Any, path: str, found: dict[str, str]) -> Any:
    """``{secure: ...}`` anywhere -> `SECRET_PLACEHOLDER`, noting each one's key path and ciphertext fingerprint.

    The fingerprint (a hash of the ciphertext, which changes whenever the secret
    does) lets a diff say that a secret changed without knowing it.
    """
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            found[path] = sha256_hex(str(value["secure"]))[:16]
            return SECRET_PLACEHOLDER
        return {k: _replace_secure(v, f"{path}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def _config_string(value: Any) -> str:
    """How Pulumi hands a config value to a program: strings as-is, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def load_stack_file(path: Path) -> StackFile:
    """Read ``Pulumi.<stack>.yaml`` into the config map the engine would pass to the program."""
    path = Path(path)
    name = path.name
    if not (name.startswith("Pulumi.") and name.endswith((".yaml", ".yml"))) or name in ("Pulumi.yaml", "Pulumi.yml"):
        raise LinkConfigError(str(path), name, "a stack file named Pulumi.<stack>.yaml")
    try:
        document = load_yaml(path.read_text(encoding="utf-8")) or {}  # noqa: S506 - a safe loader
    except OSError as exc:
        raise LinkConfigError(str(path), None, f"a readable stack file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise LinkConfigError(str(path), None, f"valid YAML (error{where}: {getattr(exc, 'problem', exc)})") from None
    root = find_project_root(path.resolve().parent)
    project_doc = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    project = project_doc.get("name", root.name)
    raw_config = document.get("config") or {}
    if not isinstance(raw_config, dict):
        raise LinkConfigError(f"{path}: config", raw_config, "a mapping of config keys")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    secure_values: dict[str, str] = {}
    for key, value in raw_config.items():
        full_key = key if ":" in key else f"{project}:{key}"
        before = len(secure_values)
        config[full_key] = _config_string(_replace_secure(value, full_key, secure_values))
        if len(secure_values) > before:
            secret_keys.append(full_key)
    stack = name[len("Pulumi.") :].rsplit(".", 1)[0]
    environments = _environments(document.get("environment"), path)
    return StackFile(path, root, project, stack, config, tuple(secret_keys), secure_values, environments)


def _environments(value: Any, path: Path) -> tuple[str, ...]:
    """The ESC environments named by a stack file's ``environment:`` (a list, or ``{imports: [...]}``)."""
    if value is None:
        return ()
    imports = value.get("imports") if isinstance(value, dict) else value
    if not isinstance(imports, list) or not all(isinstance(name, str) for name in imports):
        raise LinkConfigError(f"{path}: environment", value, "a list of Pulumi ESC environment names")
    return tuple(imports)


def ambient_for(config: Mapping[str, str]) -> Ambient:
    """Offline, the credentials are taken to reach exactly the account or project the config names."""
    try:
        link = json.loads(config.get(CONFIG_KEY, "{}"))
        found = {
            "aws_account_id": link.get("aws", {}).get("accountId"),
            "gcp_project": link.get("gcp", {}).get("project"),
            "azure_subscription_id": link.get("azure", {}).get("subscriptionId"),
            "azure_tenant_id": link.get("azure", {}).get("tenantId"),
        }
    except (ValueError, AttributeError):
        found = {}
    return Ambient(**{k: v for k, v in found.items() if isinstance(v, str)})


def run_stack_file(stack_file: StackFile) -> StackPlan:
    plan = _run_stack_program(stack_file)
    if stack_file.environments:
        plan.warnings.insert(0, (
            "the stack imports Pulumi ESC environments that an offline plan cannot resolve: "
            + ", ".join(stack_file.environments)
            + "; config and secrets they supply are missing here, so `pulumi preview` may differ"
        ))
    return plan


def _run_stack_program(stack_file: StackFile) -> StackPlan:
    return run_program(
        stack_file.config,
        project_root=stack_file.project_root,
        project=stack_file.project,
        stack=stack_file.stack,
        ambient=ambient_for(stack_file.config),
        secret_keys=stack_file.secret_keys,
    )


def plan_stack_file(path: Path) -> StackPlan:
    return run_stack_file(load_stack_file(path))


