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

import asyncio
import atexit
import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
import functools
import logging
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional

import pulumi
from pulumi.runtime import mocks as pulumi_mocks, rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .. import program
from ..component import OFFLINE, UNCHECKED
from ..providers import parts
from ..planned import Ambient, PlannedResource, Secret, StackPlan, map_leaves, plain

STACK_TYPE = "pulumi:pulumi:Stack"



def _integral(value: Any) -> Any:
    """Numbers as the program wrote them: a protobuf Struct carries every number as a float."""
    return map_leaves(value, lambda leaf: int(leaf) if isinstance(leaf, float) and leaf.is_integer() else leaf)


KNOWN_AFTER_APPLY = "(known after apply)"
"""How the plan shows an input that depends on a value the engine learns only when the resource exists."""


def _unwrap_secrets(value: Any) -> Any:
    """Secrets as `Secret`, and values not known until apply as `KNOWN_AFTER_APPLY` (never the SDK's sentinels)."""
    if isinstance(value, pulumi.output.Unknown) or value == rpc.UNKNOWN:
        return KNOWN_AFTER_APPLY
    if rpc.is_rpc_secret(value):
        return Secret(_unwrap_secrets(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


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
        outputs = _integral(_unwrap_secrets(rpc.deserialize_properties(request.outputs, keep_unknowns=False) or {}))
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
                    inputs=_unwrap_secrets(inputs),
                    outputs=_unwrap_secrets(outputs),
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


def _resolve(output: Any) -> Any:
    out = pulumi.Output.from_input(output)
    value = _sync_await(out.future())
    return Secret(value) if _sync_await(out.is_secret()) else value


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
    _close_event_loops_at_exit()
    monitor = monitor or RecordingMonitor(PlanMocks(ambient or Ambient()))
    warnings = _WarningCollector()
    settings.set_root_resource(None)  # type: ignore[arg-type] # a fresh Stack for each run
    pulumi.runtime.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor, logger=warnings.logger
    )
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    offline = OFFLINE.set(True)
    unchecked = UNCHECKED.set(monitor.mocks.ambient.unknown)
    try:
        with _lean_registrations():
            _sync_await(run_pulumi_func(main or (lambda: program.run(project_root, allow_unreadable_secrets=True))))
    finally:
        UNCHECKED.reset(unchecked)
        OFFLINE.reset(offline)
    root = settings.get_root_resource()
    outputs = {name: _resolve(value) for name, value in sorted(getattr(root, "outputs", {}).items())}
    # Registration order depends on thread scheduling; the URN order does not.
    return StackPlan(
        stack=stack, resources=sorted(monitor.planned, key=lambda r: r.urn), outputs=outputs, warnings=warnings.messages
    )


@contextlib.contextmanager
def _lean_registrations() -> Iterator[None]:
    """Registrations without what only an engine uses, the same inputs recorded (the golden plans hold them):

    - no source position of the code that made a resource: the SDK walks and encodes the whole Python stack for
      each one (about a tenth of a plan's time, measured), for diagnostics the mock runtime has no engine to show;
    - a list of plain strings (a GCP tier's ~1,900 permissions) serialised as the list it is, not one awaited
      call per element (about a quarter of a GCP link's time, measured); the SDK returns each string unchanged.
    """
    from pulumi.runtime import resource as sdk_resource, rpc
    from pulumi.runtime.proto import source_pb2

    stack_trace, serialize = sdk_resource._get_stack_trace, rpc.serialize_property

    async def serialize_property(value: Any, *args: Any, **kwargs: Any) -> Any:
        if type(value) is list and not kwargs.get("return_protobuf_value") and all(type(item) is str for item in value):
            return list(value)
        return await serialize(value, *args, **kwargs)

    loop = asyncio.get_event_loop()
    executor = loop._default_executor  # type: ignore[attr-defined] # restored as it was, even when None
    sdk_resource._get_stack_trace, rpc.serialize_property = source_pb2.StackTrace, serialize_property  # an empty trace
    loop.set_default_executor(_CALLER_RUNS)
    try:
        yield
    finally:
        sdk_resource._get_stack_trace, rpc.serialize_property = stack_trace, serialize
        loop._default_executor = executor  # type: ignore[attr-defined]


class _CallerRuns(ThreadPoolExecutor):
    """An executor that runs each call where it is submitted. The SDK hands every call to the engine to a thread
    pool so as not to block its event loop on gRPC; the mock monitor answers at once, and the round trip
    through a thread and back was about a tenth of a plan's time (measured)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "Future[Any]":
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine, as the pool would
            future.set_exception(exc)
        return future


_CALLER_RUNS = _CallerRuns(max_workers=1)


@functools.cache
def _close_event_loops_at_exit() -> None:
    """The SDK runs programs on an event loop per thread (its mock monitor makes one in each executor thread) and
    closes none; left to the garbage collector at interpreter exit, closing them prints ``Exception ignored in
    BaseEventLoop.__del__`` tracebacks. By the time ``atexit`` runs, the executor threads have been joined."""
    atexit.register(_close_event_loops)


def _close_event_loops() -> None:
    import gc

    for loop in [obj for obj in gc.get_objects() if isinstance(obj, asyncio.BaseEventLoop)]:
        if not loop.is_closed() and not loop.is_running():
            loop.close()
