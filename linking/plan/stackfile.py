"""Stack files: ``Pulumi.<stack>.yaml`` read into the config map the engine would pass, and planned."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from ..canonical import sha256_hex
from ..config import secret_keys
from ..contract import CONFIG_KEY, SECRET_PLACEHOLDER, not_structured
from ..errors import HIDDEN, LinkConfigError
from ..files import MAX_STACK_FILE_BYTES, contained_path, parse_yaml, read_text
from ..planned import Ambient, StackPlan, map_leaves
from ..providers import clouds
from .runtime import run_program


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
    plain_secrets: dict[str, str] = field(default_factory=dict)
    """Key path -> value of each secret key written in plain text: the plan shows it as the placeholder."""
    main: Any = "."
    """``main`` in ``Pulumi.yaml``: the program ``pulumi up`` runs (checked when the plan runs it: `linking check`
    reads the stack file alone)."""
    runtime: Any = "python"

    def program(self) -> Path:
        """The entry file of the program ``Pulumi.yaml`` names, which ``pulumi up`` runs."""
        project_file = self.project_root / "Pulumi.yaml"
        name = self.runtime.get("name") if isinstance(self.runtime, dict) else self.runtime
        if name != "python":
            raise LinkConfigError(
                f"{project_file}: runtime", name if isinstance(name, str) else HIDDEN,
                "a Python program: linking plans Python programs offline (review another runtime with `pulumi preview`)",
            )
        return program_entry(self.main, self.project_root, project_file)

    def structured(self, key: str) -> Any:
        """A config value as the program reads it (``get_object``): None when absent, refused when not JSON."""
        try:
            return json.loads(self.config[key]) if key in self.config else None
        except ValueError:
            raise not_structured(key) from None


def project_name(root: Path) -> str:
    """The project's name from its ``Pulumi.yaml``, or the folder's when that cannot be read: a failed stack is
    then listed under the same project as when it plans, so the diff sees it fail rather than vanish."""
    try:
        document = parse_yaml(read_text(root / "Pulumi.yaml", "Pulumi.yaml", limit=MAX_STACK_FILE_BYTES), "Pulumi.yaml", "Pulumi.yaml")
    except (LinkConfigError, OSError):
        return root.name
    name = document.get("name") if isinstance(document, dict) else None
    return name if isinstance(name, str) else root.name


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
    """Read ``Pulumi.<stack>.yaml`` into the config map the engine would pass to the program.

    Bounded and contained like every file a pull request may write; ``secure:`` values are
    accepted only in the keys that hold secrets, and never read (a ciphertext fingerprint is kept).
    """
    path = Path(path)
    name = path.name
    if not (name.startswith("Pulumi.") and name.endswith((".yaml", ".yml"))) or name in ("Pulumi.yaml", "Pulumi.yml"):
        raise LinkConfigError(str(path), name, "a stack file named Pulumi.<stack>.yaml")
    document = _mapping(parse_yaml(read_text(path, str(path), limit=MAX_STACK_FILE_BYTES), str(path), str(path), timestamps=False),
                        str(path), "a stack file: a mapping with a config: section")
    root = find_project_root(path.resolve().parent)
    project_file = root / "Pulumi.yaml"
    project_doc = _mapping(
        parse_yaml(read_text(project_file, str(project_file), limit=MAX_STACK_FILE_BYTES), str(project_file), str(project_file)),
        str(project_file), "a Pulumi project file: a mapping with name: and runtime:",
    )
    project = project_doc.get("name", root.name)
    if not isinstance(project, str):
        raise LinkConfigError(f"{project_file}: name", project, "the project name, a string")
    stack_config = _full_keys(_mapping(document.get("config"), f"{path}: config", "a mapping of config keys"), project, path)
    raw_config = {**project_config(project_doc.get("config"), project, project_file, set(stack_config)), **stack_config}
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    secure_values: dict[str, str] = {}
    for full_key, value in raw_config.items():
        before = len(secure_values)
        config[full_key] = _config_string(_replace_secure(value, full_key, secure_values))
        if len(secure_values) > before:
            secret_keys.append(full_key)
    for key_path in secure_values:
        if key_path.startswith("linking:") and key_path not in SECRET_KEY_PATHS:
            raise LinkConfigError(
                key_path, HIDDEN, "a plain value: secure: is accepted only in keys that hold secrets ("
                + ", ".join(sorted(SECRET_KEY_PATHS)) + "); a secret elsewhere would end up in public outputs",
            )
    plain_secrets = _plain_secrets(raw_config.get(CONFIG_KEY))
    for key_path, value in plain_secrets.items():
        secure_values[key_path] = sha256_hex(value)[:16]  # the value is in the file already; the diff sees it change
    stack = name[len("Pulumi.") :].rsplit(".", 1)[0]
    environments = _environments(document.get("environment"), path)
    return StackFile(path, root, project, stack, config, tuple(secret_keys), secure_values, environments, plain_secrets,
                     project_doc.get("main", "."), project_doc.get("runtime"))


def _full_keys(section: dict[Any, Any], project: str, where: Path) -> dict[str, Any]:
    """Config keys as the program reads them: a key without a namespace is the project's."""
    for key in section:
        if not isinstance(key, str):
            raise LinkConfigError(f"{where}: config", HIDDEN, "config keys that are strings (namespace:key)")
    return {key if ":" in key else f"{project}:{key}": value for key, value in section.items()}


def program_entry(main: Any, root: Path, project_file: Path) -> Path:
    """The file ``pulumi up`` runs: ``main`` (a folder with ``__main__.py``, or a ``.py`` file), by default the
    project folder; inside the project, symlinks followed."""
    key_path = f"{project_file}: main"
    if not isinstance(main, str) or not main.strip():
        raise LinkConfigError(key_path, HIDDEN, "the program's folder or file, relative to the project")
    if Path(main).is_absolute() or not (root / main).resolve().is_relative_to(root.resolve()):
        raise LinkConfigError(key_path, main, "a program inside the project (symlinks followed)")
    target = (root / main).resolve()
    entry = target / "__main__.py" if target.is_dir() else target
    return contained_path(entry.relative_to(root.resolve()).as_posix(), root, key_path)


_LONG_FORM = {"type", "description", "default", "value", "secret", "items"}


def project_config(section: Any, project: str, project_file: Path, stack_keys: set[str]) -> dict[str, Any]:
    """What project-level config (``config:`` in ``Pulumi.yaml``, Pulumi 3.44 and later) gives a stack, merged as
    the CLI merges it (``pkg/workspace/config.go``): a value the stack file sets wins; otherwise an entry's
    ``value`` or ``default`` (a short-form scalar is one of them); a project key declared with neither and not set
    by the stack stops the plan, as it stops ``pulumi up``. A string there is the older spelling of
    ``stackConfigDir``."""
    if section is None or isinstance(section, str):
        return {}
    found: dict[str, Any] = {}
    missing = []
    for key, entry in _full_keys(_mapping(section, f"{project_file}: config", "a mapping of config keys"), project, project_file).items():
        if key in stack_keys:
            continue
        if isinstance(entry, dict):
            if not entry or not set(entry) <= _LONG_FORM or {"value", "default"} <= set(entry):
                raise LinkConfigError(f"{project_file}: config.{key}", HIDDEN,
                                      "a value, or a declaration with value: or default: (one of them) and type:, description:, secret:, items:")
            if "value" in entry or "default" in entry:
                found[key] = entry.get("value", entry.get("default"))
            elif key.startswith(f"{project}:"):
                missing.append(key)
        else:
            found[key] = entry
    if missing:
        raise LinkConfigError(f"{project_file}: config", ", ".join(missing), "a value in the stack file for every key the project declares without a default")
    return found


def _plain_secrets(link: Any) -> dict[str, str]:
    """Secret keys of the link holding a plain string rather than ``secure:``."""
    found = {}
    for key in secret_keys():
        value = link
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            found[f"{CONFIG_KEY}.{key}"] = value
    return found


def _mapping(value: Any, key_path: str, expected: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LinkConfigError(key_path, HIDDEN, expected)
    return value


SECRET_KEY_PATHS = frozenset(f"{CONFIG_KEY}.{key}" for key in secret_keys())


def _environments(value: Any, path: Path) -> tuple[str, ...]:
    """The ESC environments named by a stack file's ``environment:`` (a list, or ``{imports: [...]}``)."""
    if value is None:
        return ()
    imports = value.get("imports") if isinstance(value, dict) else value
    if not isinstance(imports, list) or not all(isinstance(name, str) for name in imports):
        raise LinkConfigError(f"{path}: environment", value, "a list of Pulumi ESC environment names")
    return tuple(imports)


def ambient_for(config: Mapping[str, str]) -> Ambient:
    """Offline, the credentials are taken to reach exactly the account, subscription or project the config names:
    the link's settings, or the provider's own configuration (``aws:allowedAccountIds`` with one account,
    ``gcp:project``, ``azure-native:subscriptionId``). A cloud it names nothing for is unknown: its guard is not
    checked offline, and the plan says so."""
    def value(key: str) -> Any:
        try:
            return json.loads(config[key]) if key in config else None
        except ValueError:
            return config[key]

    link = value(CONFIG_KEY)
    link = link if isinstance(link, dict) else {}

    def section(name: str) -> dict[str, Any]:
        found = link.get(name)
        return found if isinstance(found, dict) else {}

    found = {key: answer for known in clouds() for key, answer in known.ambient(section(known.name), value).items()}
    known = {k: v for k, v in found.items() if isinstance(v, str)}
    unknown = {c.name for c in clouds() if c.identity_key is not None and c.identity_key not in known}
    return Ambient(**known, unknown=frozenset(unknown))


def run_stack_file(stack_file: StackFile, program: Optional[Path] = None) -> StackPlan:
    """The stack's plan: the program ``Pulumi.yaml`` names, run with this config as ``pulumi up`` would run it.
    ``program`` (``--program``) must be that program's folder: a plan of any other would not be what runs."""
    entry = stack_file.program()
    if program is not None and program.resolve() != entry.parent:
        raise LinkConfigError(
            "--program", str(program), f"the program Pulumi.yaml names ({entry.parent}): linking plans "
            "the program `pulumi up` runs",
        )
    plan = redact(_run_stack_program(stack_file, entry), set(stack_file.plain_secrets.values()))
    for key_path in stack_file.plain_secrets:
        plan.warnings.append(
            f"{key_path} is written in plain text in the stack file, where everyone who can read the repository has it: "
            "store it with `pulumi config set --secret --path` (the plan shows it as [secret])"
        )
    if stack_file.environments:
        plan.warnings.insert(0, (
            "the stack imports Pulumi ESC environments that an offline plan cannot resolve: "
            + ", ".join(stack_file.environments)
            + "; config and secrets they supply are missing here, so `pulumi preview` may differ"
        ))
    return plan


def redact(plan: StackPlan, secrets: set[str]) -> StackPlan:
    """The plan with every occurrence of each secret replaced by the placeholder, in every input and output."""
    if not secrets:
        return plan
    pattern = re.compile("|".join(re.escape(secret) for secret in sorted(secrets, key=len, reverse=True)))

    def scrub(value: Any) -> Any:
        return map_leaves(value, lambda leaf: pattern.sub(SECRET_PLACEHOLDER, leaf) if isinstance(leaf, str) else leaf)

    resources = [dataclasses.replace(r, inputs=scrub(r.inputs), outputs=scrub(r.outputs)) for r in plan.resources]
    return dataclasses.replace(plan, resources=resources, outputs=scrub(plan.outputs))


def _run_stack_program(stack_file: StackFile, entry: Path) -> StackPlan:
    return run_program(
        stack_file.config,
        project_root=stack_file.project_root,
        project=stack_file.project,
        stack=stack_file.stack,
        ambient=ambient_for(stack_file.config),
        secret_keys=stack_file.secret_keys,
        main=_program_main(entry, (stack_file.project_root / str(stack_file.main)).resolve().is_dir()),
    )


def _program_main(entry: Path, as_folder: bool) -> Callable[[], None]:
    """Run a Pulumi Python program as the language host does (``pulumi-language-python-exec``): in the program's
    folder, with that folder first on the import path when ``main`` names a folder (a file runs as a plain
    script). Modules it imported from there are forgotten afterwards (each ``pulumi up`` is a fresh process), so
    the next stack, maybe another project's, imports its own."""
    folder = str(entry.parent)

    def main() -> None:
        before, cwd = set(sys.modules), os.getcwd()
        if as_folder:
            sys.path.insert(0, folder)
        os.chdir(folder)
        try:
            runpy.run_path(str(entry), run_name="__main__")
        finally:
            os.chdir(cwd)
            if as_folder:
                sys.path.remove(folder)
            for name in set(sys.modules) - before:
                module_file = getattr(sys.modules[name], "__file__", None) or ""
                if module_file.startswith(folder + os.sep) and name.partition(".")[0] not in ("linking", "pulumi"):
                    del sys.modules[name]

    return main


def plan_stack_file(path: Path) -> StackPlan:
    return run_stack_file(load_stack_file(path))


