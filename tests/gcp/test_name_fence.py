"""The GCP admin tiers' name fence, decided request by request against the rendered bindings.

Every permission of both admin tiers is tried on a resource of every type Google documents a name for (owned.json),
under the link's name and the names an attacker would try, before and after the expiry, and on a resource whose
attributes the cloud does not provide. The conditions run in a CEL engine (cel-python) with ``extract`` as Google's
attribute reference defines it; a part of a condition whose attribute is missing never grants (Google's rule).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Optional

import celpy
import pytest
from celpy import celtypes

from linking.canonical import canonical_json
from linking.gcp import owned, render_role
from linking.gcp.documents import expiry_condition
from linking.policy import builtin_document_path

LINK = "acme-prod"
PROJECT = "acme-prod-1234"  # starts with the link's prefix: a name test anchored anywhere else would be fooled
EXPIRES = "2027-06-30T00:00:00Z"
BEFORE, AFTER = "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"
TIERS = {"admin": "admin", "admin-wide": "admin-wide"}


def extract(name: Any, template: Any) -> celtypes.StringType:
    """``resource.name.extract(template)`` per Google's table: after the first prefix, before the next suffix,
    empty when either is missing."""
    text, pattern = str(name), str(template)
    prefix, _, rest = pattern.partition("{")
    suffix = rest.partition("}")[2]
    if prefix:
        at = text.find(prefix)
        if at < 0:
            return celtypes.StringType("")
        text = text[at + len(prefix):]
    if suffix:
        at = text.find(suffix)
        if at < 0:
            return celtypes.StringType("")
        text = text[:at]
    return celtypes.StringType(text)


@cache
def program(expression: str) -> Any:
    environment = celpy.Environment()
    return environment.program(environment.compile(expression), functions={"extract": extract})


@cache
def holds(expression: Optional[str], resource: tuple[tuple[str, str], ...], time: str) -> bool:
    """The condition for one request; an attribute the resource lacks makes its part grant nothing."""
    if expression is None:
        return True
    activation = {
        "resource": celtypes.MapType({celtypes.StringType(k): celtypes.StringType(v) for k, v in resource}),
        "request": celtypes.MapType({celtypes.StringType("time"): celtypes.TimestampType(time)}),
    }
    try:
        result = program(expression).evaluate(activation)
    except celpy.CELEvalError:  # a missing attribute: Google never grants through that part
        return False
    return isinstance(result, celtypes.BoolType) and bool(result)


@cache
def bindings(tier: str) -> tuple[tuple[frozenset[str], Optional[str]], ...]:
    """(permissions, condition) of every binding the admin component makes for ``tier``, with the expiry."""
    role = render_role(builtin_document_path("gcp", tier), LINK, PROJECT, "tier").document
    whole, fenced = owned.split(role["includedPermissions"])
    expiry = expiry_condition(LINK, EXPIRES)["expression"]
    return ((frozenset(whole), expiry), *(
        (frozenset(permissions), owned.name_condition(group, LINK, expiry)["expression"]) for group, permissions in fenced.items()))


def allowed(tier: str, permission: str, resource: dict[str, str], time: str = BEFORE) -> bool:
    request = tuple(sorted(resource.items()))
    return any(permission in permissions and holds(condition, request, time) for permissions, condition in bindings(tier))


FILLED = {"project-id": PROJECT, "project-number": "123456789012", "zone-id": "europe-west1-b", "zone": "europe-west1-b",
          "region-id": "europe-west1", "location": "europe-west1", "location-id": "europe-west1"}


def named(template: str, segments: tuple[str, ...], name: str) -> str:
    """A resource name from Google's template: ``name`` right after the group's segment, other ids filled."""
    segment = next(s for s in segments if s in template)
    head, _, tail = template.partition(segment)
    _, slash, rest = tail.partition("/")
    fill = ["/".join(FILLED.get(part, part if index % 2 == 0 or part == "_" else f"id{index}")
                     for index, part in enumerate(text.split("/"))) for text in (head, rest)]
    return fill[0] + segment + name + slash + fill[1].replace("/" + "/", "/")


def resources() -> list[tuple[owned.OwnedGroup, str, str]]:
    """(group, type, name template) of every collection the data maps."""
    return [(group, row["type"], template.strip())
            for group in owned.groups() for row in group.collections.values() for template in row["template"].split(";")]


ATTACKER_NAMES = ["other", "acme-prodx", "ACME-PROD-db", "xacme-prod-db", "acme-pro", ""]
"""Another team's, the link id without its dash, another case, the prefix not at the start, a shorter one, none."""


@pytest.mark.parametrize("tier", TIERS)
def test_fenced_permissions_act_only_on_the_links_names_until_it_expires(tier):
    decided = 0
    for permissions, _ in bindings(tier)[1:]:
        for permission in sorted(permissions):
            mine = owned.group_of(permission)
            assert mine is not None
            for group, typ, template in resources():
                own = {"service": group.service, "type": typ, "name": named(template, group.segments, f"{LINK}-db")}
                reads_it = group.service == mine.service and any(segment in template for segment in mine.segments)
                assert allowed(tier, permission, own) is reads_it, (permission, own)
                assert not allowed(tier, permission, own, AFTER)
                for name in ATTACKER_NAMES:
                    other = {**own, "name": named(template, group.segments, name)}
                    assert not allowed(tier, permission, other), (permission, other)
                assert not allowed(tier, permission, {"service": group.service, "type": typ})  # the cloud provides no name
                assert not allowed(tier, permission, {"name": own["name"]})  # nor a service
                decided += 4 + len(ATTACKER_NAMES)
    assert decided > 10_000


@pytest.mark.parametrize("tier", TIERS)
def test_every_permission_is_fenced_or_bound_whole_by_the_data(tier):
    """The split is the data's: a permission of a mapped collection (not a parent verb) is never bound whole."""
    whole, *fenced = bindings(tier)
    for permission in whole[0]:
        assert owned.group_of(permission) is None and owned.enforcement(permission).startswith("not fenced"), permission
    for permissions, _ in fenced:
        assert all(owned.enforcement(p).startswith("fenced by name: ") for p in permissions)
    assert owned.enforcement("run.services.update").startswith("not fenced: Google lists no resource name")
    assert owned.enforcement("storage.buckets.create").startswith("not fenced: Creating and listing are checked on the parent")


def test_each_condition_stays_within_googles_operator_limit():
    limit = owned.owned_data()["sources"]["operatorLimit"]["limit"]
    expiry = expiry_condition(LINK, EXPIRES)["expression"]
    for group in owned.groups():
        assert owned.logical_operators(owned.name_condition(group.name, "a" * 30, expiry)["expression"]) <= limit, group.name


def test_the_data_maps_each_collection_to_a_documented_name_its_segments_read():
    for group in owned.groups():
        for collection, row in group.collections.items():
            assert row["type"].startswith(group.service.removesuffix(".googleapis.com") + ".googleapis.com/")
            for template in row["template"].split(";"):
                assert any(segment in template.strip() for segment in group.segments), (collection, template)
    unrecognised = set(owned.owned_data()["notRecognised"]["services"])
    assert not unrecognised & {group.service for group in owned.groups()}


def test_the_name_fence_golden(golden):
    expiry = expiry_condition(LINK, EXPIRES)["expression"]
    role = render_role(builtin_document_path("gcp", "admin"), LINK, PROJECT, "tier").document
    _, fenced = owned.split(role["includedPermissions"])
    golden("gcp/admin.name-fence.json", canonical_json(
        {group: {"condition": owned.name_condition(group, LINK, expiry), "permissions": permissions}
         for group, permissions in fenced.items()}, pretty=True))


def test_the_plan_shows_fenced_grants_with_their_condition_and_dropping_it_is_risky():
    """Through the plan and the diff of the GCP example: a fenced grant carries its condition, and the same
    permission bound on the whole project in the head is flagged."""
    from linking.plan.stackfile import plan_stack_file
    from linking.review.diff import diff_plans
    from linking.review.grants import plan_document, review_stack

    from ..conftest import REPO

    entry = review_stack(plan_stack_file(REPO / "stacks" / "Pulumi.gcp-example.yaml"), file="gcp.yaml", project="linking")
    (link,) = entry["links"]
    fenced = [g for g in link["grants"] if g["permission"] == "storage.buckets.update"]
    assert fenced == [{"permission": "storage.buckets.update", "scope": "projects/acme-prod-1234",
                       "condition": owned.name_condition("storage", "acme-prod-gcp")["expression"]}]
    assert [c["expression"] for c in link["conditions"]] == [expiry_condition("x", "2027-06-30T00:00:00Z")["expression"]] * 10
    head = json.loads(json.dumps(entry))
    head["links"][0]["grants"] = [{k: v for k, v in g.items() if k != "condition"} for g in head["links"][0]["grants"]]
    (changed,) = diff_plans(plan_document([entry]), plan_document([head]))["links"]
    assert "name fence dropped: storage.buckets.update on every resource of the project" in changed["risks"]
