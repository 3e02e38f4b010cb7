"""Every part of Pulumi's SDK the offline plan uses that is not its documented testing API, in one place.

``pulumi.runtime.set_mocks``, ``Mocks``, ``MockMonitor`` and ``set_all_config`` are Pulumi's documented way to run a
program without an engine; the rest here is the SDK's own machinery, which a release may change without notice:
running the program function, resetting the runtime between stacks, reading the root stack's outputs, the RPC
encoding of recorded values, and two shortcuts that halve a plan's time (`lean_registrations`).
``tests/plan/test_pulumi_internals.py`` checks each against the installed SDK, and ``pyproject.toml`` pins
``pulumi`` to the releases those tests have run on.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterator, Optional

import pulumi
from pulumi.runtime import resource as sdk_resource, rpc, settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ..planned import KNOWN_AFTER_APPLY, Secret


def sync_await(awaitable: Any) -> Any:
    """Run an awaitable to its end on the SDK's event loop (the mock monitor answers inside it)."""
    return _sync_await(awaitable)


def run_program_function(main: Callable[[], None]) -> None:
    """Run a program function as the language host would: inside a Stack resource, waiting for every
    registration it starts."""
    _sync_await(run_pulumi_func(main))


def reset_runtime() -> None:
    """Forget the previous stack's root resource: each run registers a fresh Stack."""
    settings.set_root_resource(None)  # type: ignore[arg-type]


def clear_pending() -> None:
    """Pending RPCs and outputs of a configuration just set (`pulumi.runtime.set_mocks` leaves them)."""
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()


def root_outputs() -> dict[str, Any]:
    """The outputs the program exported (``pulumi.export``), by name."""
    outputs: dict[str, Any] = getattr(settings.get_root_resource(), "outputs", {})
    return outputs


def decoded(properties: Any) -> dict[str, Any]:
    """A gRPC Struct of properties as Python values (unknowns dropped)."""
    value: dict[str, Any] = rpc.deserialize_properties(properties, keep_unknowns=False) or {}
    return value


def resolved(output: Any) -> Any:
    """An Output's value now (the mock runtime has resolved it), a `Secret` if it is one."""
    out = pulumi.Output.from_input(output)
    value = _sync_await(out.future())
    return Secret(value) if _sync_await(out.is_secret()) else value


def recorded(value: Any) -> Any:
    """Secrets as `Secret`, and values not known until apply as `KNOWN_AFTER_APPLY` (never the SDK's sentinels)."""
    if isinstance(value, pulumi.output.Unknown) or value == rpc.UNKNOWN:
        return KNOWN_AFTER_APPLY
    if rpc.is_rpc_secret(value):
        return Secret(recorded(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: recorded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [recorded(v) for v in value]
    return value


@contextlib.contextmanager
def lean_registrations() -> Iterator[None]:
    """Registrations without what only an engine uses, the same inputs recorded (the golden plans hold them):

    - no source position of the code that made a resource: the SDK walks and encodes the whole Python stack for
      each one (about a tenth of a plan's time, measured), for diagnostics the mock runtime has no engine to show;
    - a list of plain strings (a GCP tier's ~1,900 permissions) serialised as the list it is, not one awaited
      call per element (about a quarter of a GCP link's time, measured); the SDK returns each string unchanged.
    """
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
def close_event_loops_at_exit() -> None:
    """The SDK runs programs on an event loop per thread (its mock monitor makes one in each executor thread) and
    closes none; left to the garbage collector at interpreter exit, closing them prints ``Exception ignored in
    BaseEventLoop.__del__`` tracebacks. By the time ``atexit`` runs, the executor threads have been joined."""
    atexit.register(_close_event_loops)


def _close_event_loops() -> None:
    import gc

    for loop in [obj for obj in gc.get_objects() if isinstance(obj, asyncio.BaseEventLoop)]:
        if not loop.is_closed() and not loop.is_running():
            loop.close()
