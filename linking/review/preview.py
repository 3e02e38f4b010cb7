"""A real ``pulumi preview --json`` reviewed like two offline plans: the engine's old state of each resource is the
base, its new state the head, so the review shows what the engine will change (drift included), and every
replacement or deletion of a resource that grants access is a risk of its own.

The format is Pulumi's ``PreviewDigest`` (``pkg/display/json.go``): ``steps`` of ``{op, urn, oldState, newState,
replaceReasons}``, each state an ``apitype.ResourceV3`` (``type``, ``custom``, ``inputs``, ``outputs``, ``parent``,
``provider``, ``dependencies``); secrets are envelopes (`SIG_KEY` = `SECRET_SIG`) or ``[secret]``,
values the engine learns only on apply the unknown sentinel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from ..catalogue import access_resource_types
from ..contract import SECRET_PLACEHOLDER
from ..errors import HIDDEN, LinkConfigError
from ..files import MAX_PLAN_BYTES, parse_json, read_text
from ..planned import KNOWN_AFTER_APPLY, PlannedResource, Secret, StackPlan
from .diff import diff_plans
from .grants import LINK_COMPONENTS, WORKLOAD_COMPONENT, plan_document, review_stack

STACK_TYPE = "pulumi:pulumi:Stack"
SIG_KEY, SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The wire format's signature key, its secret signature (assets, archives and resources carry others) and the
unknown sentinel (``pulumi.runtime.rpc``; a test compares)."""
NEW_ONLY = frozenset({"create", "create-replacement", "import", "import-replacement", "read", "read-replacement"})
"""Steps whose old state, if any, is not the resource as it stands."""
GONE = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"})
"""Steps after which the resource no longer exists."""
RISKY_STEPS = {"replace": "replaces", "create-replacement": "replaces", "delete": "deletes", "delete-replaced": "deletes"}


def load_preview(path: Path) -> dict[str, Any]:
    """The digest, each step an object with an ``op`` and a URN and each state an object with a URN and a type:
    anything else is one line naming the step, never a traceback."""
    digest = parse_json(read_text(path, str(path), limit=MAX_PLAN_BYTES), str(path), str(path))
    if not isinstance(digest, dict) or not isinstance(digest.get("steps", []), list):
        raise LinkConfigError(str(path), HIDDEN, "the output of pulumi preview --json (an object with steps)")
    for index, step in enumerate(digest.get("steps") or []):
        states = [step.get(key) for key in ("oldState", "newState")] if isinstance(step, dict) else []
        if not (isinstance(step, dict) and isinstance(step.get("op"), str) and _is_urn(step.get("urn"))
                and all(state is None or (isinstance(state, dict) and _is_urn(state.get("urn"))
                                          and isinstance(state.get("type"), str)) for state in states)):
            raise LinkConfigError(f"{path}: steps[{index}]", HIDDEN,
                                  "a step of pulumi preview --json: {op, urn, oldState, newState}, each state with its urn and type")
    return digest


def _is_urn(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("urn:pulumi:") and value.count("::") >= 3


def preview_diff(paths: list[Path], code: Optional[list[dict[str, str]]] = None) -> dict[str, Any]:
    """The access review of previews (one a stack): the plans' diff, with the engine's replacements and deletions
    of access resources as risks."""
    digests = [(path, load_preview(path)) for path in paths]
    stacks = [preview_stacks(digest, file=path.name) for path, digest in digests]
    diff = diff_plans(plan_document([base for base, _ in stacks]), plan_document([head for _, head in stacks]), code)
    diff["engine"] = sorted({risk for _, digest in digests for risk in engine_risks(digest)})
    diff["risky"] = diff["risky"] or bool(diff["engine"])
    return diff


def preview_stacks(digest: dict[str, Any], *, file: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(base, head) plan entries of the previewed stack: its resources as they stand, and as the engine will leave
    them. Project and stack are the URNs' (``urn:pulumi:<stack>::<project>::...``)."""
    before, after = [], []
    for step in digest.get("steps") or []:
        old, new, op = step.get("oldState"), step.get("newState"), step.get("op")
        if old and op not in NEW_ONLY:
            before.append(old)
        if new and op not in GONE:
            after.append(new)
    project, stack = next((_project_stack(step["urn"]) for step in digest.get("steps") or []), ("preview", "preview"))
    return (_entry(before, project=project, stack=stack, file=file), _entry(after, project=project, stack=stack, file=file))


def _project_stack(urn: str) -> tuple[str, str]:
    """(project, stack) of ``urn:pulumi:<stack>::<project>::<type>::<name>``."""
    stack, _, rest = urn.removeprefix("urn:pulumi:").partition("::")
    return rest.partition("::")[0], stack


def engine_risks(digest: dict[str, Any]) -> list[str]:
    """Each replacement or deletion of a resource that grants access: access that breaks, or lapses unreviewed."""
    access = {typ for types in access_resource_types().values() for typ in types} | {*LINK_COMPONENTS, WORKLOAD_COMPONENT}
    risks = []
    for step in digest.get("steps") or []:
        verb = RISKY_STEPS.get(step.get("op", ""))
        state = step.get("newState") or step.get("oldState") or {}
        if verb and state.get("type") in access:
            reasons = step.get("replaceReasons") or []
            because = f" (because of {', '.join(reasons)})" if reasons else ""
            project, stack = _project_stack(step["urn"])
            risks.append(f"the engine {verb} {state['type']} {_name(step['urn'])} of {project}/{stack}{because}")
    return sorted(set(risks))


def _entry(states: list[dict[str, Any]], *, project: str, stack: str, file: str) -> dict[str, Any]:
    root = next((state for state in states if state.get("type") == STACK_TYPE), {})
    resources = [
        PlannedResource(
            urn=state["urn"], type=state["type"], name=_name(state["urn"]), parent_urn=state.get("parent") or None,
            custom=bool(state.get("custom")), inputs=_values(state.get("inputs") or {}), outputs=_values(state.get("outputs") or {}),
            provider=state.get("provider") or None, dependencies=tuple(state.get("dependencies") or ()),
        )
        for state in states if state.get("type") != STACK_TYPE
    ]
    plan = StackPlan(stack=stack, resources=sorted(resources, key=lambda r: r.urn), outputs=_values(root.get("outputs") or {}))
    return review_stack(plan, file=file, project=project)


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _values(value: Any) -> Any:
    """State values as the offline plan records them: secrets wrapped (their value never kept), unknowns named."""
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return Secret(SECRET_PLACEHOLDER)
    if value == SECRET_PLACEHOLDER:
        return Secret(SECRET_PLACEHOLDER)
    if value == UNKNOWN:
        return KNOWN_AFTER_APPLY
    if isinstance(value, dict):
        return {key: _values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_values(item) for item in value]
    return value
