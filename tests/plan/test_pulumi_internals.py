"""Each part of Pulumi's SDK that `linking.plan.pulumi_internals` relies on, checked against the installed SDK.

A Pulumi release that renames, moves or changes one of them fails here, by name, before a plan goes wrong
somewhere less clear; ``pyproject.toml`` pins ``pulumi`` to the releases this file has passed on.
"""

from __future__ import annotations

import asyncio
import inspect
from importlib.metadata import version

import pulumi
import pytest
from pulumi.runtime import resource as sdk_resource, rpc, settings
from pulumi.runtime.proto import source_pb2

from linking.plan import pulumi_internals as internals
from linking.planned import Secret

from ..conftest import REPO


def test_sync_await_runs_a_coroutine_to_its_end():
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert internals.sync_await(answer()) == 42


def test_run_pulumi_func_takes_the_program_function():
    from pulumi.runtime.stack import run_pulumi_func

    assert list(inspect.signature(run_pulumi_func).parameters)[0] == "func"


def test_the_runtime_settings_hold_what_a_new_stack_clears():
    assert callable(settings.set_root_resource) and callable(settings.get_root_resource)
    assert callable(settings.SETTINGS.rpc_manager.clear) and callable(settings.SETTINGS.outputs.clear)


def test_properties_decode_without_unknowns():
    assert "keep_unknowns" in inspect.signature(rpc.deserialize_properties).parameters
    struct = internals.sync_await(rpc.serialize_properties({"name": "a", "count": 2}, {}))
    assert internals.decoded(struct) == {"name": "a", "count": 2}


def test_secrets_and_unknowns_are_recorded_as_a_reviewer_reads_them():
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "s3cr3t"}
    assert internals.recorded({"key": secret, "later": rpc.UNKNOWN}) == {"key": Secret("s3cr3t"), "later": internals.KNOWN_AFTER_APPLY}
    assert internals.recorded(pulumi.output.Unknown()) == internals.KNOWN_AFTER_APPLY


def test_lean_registrations_swap_two_sdk_functions_and_the_executor_and_put_them_back():
    loop = asyncio.get_event_loop()
    before = (sdk_resource._get_stack_trace, rpc.serialize_property, loop._default_executor)
    with internals.lean_registrations():
        assert sdk_resource._get_stack_trace is source_pb2.StackTrace
        assert rpc.serialize_property is not before[1]
        assert loop._default_executor is not before[2]
    assert (sdk_resource._get_stack_trace, rpc.serialize_property, loop._default_executor) == before


@pytest.mark.parametrize("value", [["a", "b", "c"], [], ["x"] * 3])
def test_a_string_list_serialises_as_the_sdk_would(value):
    sdk = internals.sync_await(rpc.serialize_property(value, [], None))
    with internals.lean_registrations():
        lean = internals.sync_await(rpc.serialize_property(value, [], None))
    assert lean == sdk == value


def test_the_sdk_version_is_one_the_pin_allows():
    """The pin and the SDK these tests ran on agree (raise both together when a new release passes this file)."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    installed = version("pulumi")
    major, minor = (int(part) for part in installed.split(".")[:2])
    assert f'"pulumi>={major}.{minor},<{major}.{minor + 1}"' in text, installed
