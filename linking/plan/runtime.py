"""The offline plan: run a stack's program under Pulumi's mock runtime and record what it would create.

No cloud credentials, no Pulumi CLI: ``pulumi.runtime.set_mocks`` stands in for
the engine and the providers. The real component code runs; each resource is
recorded with its type, name, parent, inputs and the outputs a provider would
compute. Invokes (AWS caller identity and partition, Azure client config, GCP
client config and project) answer from the stack's own config, so the guards
against the wrong account, subscription or project cannot be checked offline,
and the plan says so.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from .. import program
from ..component import OFFLINE, UNCHECKED
from ..providers import parts
from ..planned import Ambient, PlannedResource, StackPlan, map_leaves
from .pulumi_internals import (
    clear_pending,
    close_event_loops_at_exit,
    decoded,
    lean_registrations,
    recorded,
    reset_runtime,
    resolved,
    root_outputs,
    run_program_function,
)

STACK_TYPE = "pulumi:pulumi:Stack"



def _integral(value: Any) -> Any:
    """Numbers as the program wrote them: a protobuf Struct carries every number as a float."""
    return map_leaves(value, lambda leaf: int(leaf) if isinstance(leaf, float) and leaf.is_integer() else leaf)


class PlanMocks(pulumi_mocks.Mocks):
    """Outputs a provider would compute (ARNs, ids), derived from the inputs; secrets stay placeholders."""

    def __init__(self, ambient: Ambient) -> None:
        self.ambient = ambient
        self.by_package = {package: mocks for mocks in parts("mocks").values() for package in mocks.PACKAGES}
        self.registering = threading.local()
        """Per thread, the inputs and outputs of each registration under way, innermost last, for
        `RecordingMonitor` (saves decoding twice). A stack: the monitor runs the event loop while it answers
        (`_sync_await`), so another registration can start and end inside one."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[Optional[str], dict]:
        resource_id, outputs = self._outputs(args)
        self.under_way().append((args.inputs, outputs))
        return resource_id, outputs

    def under_way(self) -> list[tuple[dict, dict]]:
        if not hasattr(self.registering, "stack"):
            self.registering.stack = []
        return self.registering.stack

    def _outputs(self, args: pulumi_mocks.MockResourceArgs) -> tuple[Optional[str], dict]:
        mocks = self.by_package.get(args.typ.split(":")[0])
        answer = mocks.outputs(args.typ, args.name, args.inputs, self.ambient) if mocks else None
        return answer if answer is not None else (f"{args.name}-id", dict(args.inputs))

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:  # type: ignore[override] # the monitor takes a dict
        mocks = self.by_package.get(args.token.split(":")[0])
        answer = mocks.invoke(args.token, args.args, self.ambient) if mocks else None
        if answer is None:
            raise NotImplementedError(f"the offline plan has no answer for invoke {args.token}")
        return answer


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping each registration's parent and inputs in order."""

    def __init__(self, mocks: PlanMocks) -> None:
        super().__init__(mocks)
        self.mocks: PlanMocks = mocks
        self.planned: list[PlannedResource] = []

    def RegisterResourceOutputs(self, request):  # noqa: N802 (gRPC method name)
        """A component's registered outputs (a link's ``linkRecord``), kept with the component's record."""
        outputs = _integral(recorded(decoded(request.outputs)))
        for planned in self.planned:
            if planned.urn == request.urn:
                planned.outputs.update(outputs)
        return super().RegisterResourceOutputs(request)

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            inputs, outputs = self.mocks.under_way().pop()
            self.planned.append(
                PlannedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent_urn=request.parent or None,
                    custom=request.custom,
                    inputs=recorded(inputs),
                    outputs=recorded(outputs),
                    provider=request.provider or None,
                    dependencies=tuple(sorted(request.dependencies)),
                )
            )
        return response


class _WarningCollector(logging.Handler):
    """Keeps what the program logs as a warning (``pulumi.log.warn``) for the plan to print."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.logger = logging.Logger("linking.plan", logging.WARNING)
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_program(
    config: Mapping[str, str],
    *,
    project_root: Path,
    project: str = "linking",
    stack: str = "plan",
    ambient: Optional[Ambient] = None,
    secret_keys: tuple[str, ...] = (),
    monitor: Optional[RecordingMonitor] = None,
    main: Optional[Callable[[], None]] = None,
) -> StackPlan:
    """Run the stack program (or ``main``) once under mocks with this config (``ns:key`` -> string, as Pulumi passes it).

    Pass ``monitor`` to see what was registered even when the program raises;
    ``ambient`` is then ignored (the monitor's mocks answer the invokes).
    """
    close_event_loops_at_exit()
    monitor = monitor or RecordingMonitor(PlanMocks(ambient or Ambient()))
    warnings = _WarningCollector()
    reset_runtime()
    pulumi.runtime.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor, logger=warnings.logger
    )
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    clear_pending()
    offline = OFFLINE.set(True)
    unchecked = UNCHECKED.set(monitor.mocks.ambient.unknown)
    try:
        with lean_registrations():
            run_program_function(main or (lambda: program.run(project_root, allow_unreadable_secrets=True)))
    finally:
        UNCHECKED.reset(unchecked)
        OFFLINE.reset(offline)
    outputs = {name: resolved(value) for name, value in sorted(root_outputs().items())}
    # Registration order depends on thread scheduling; the URN order does not.
    return StackPlan(
        stack=stack, resources=sorted(monitor.planned, key=lambda r: r.urn), outputs=outputs, warnings=warnings.messages
    )


