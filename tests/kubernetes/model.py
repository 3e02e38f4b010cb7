"""Two deciders for the tests: Kubernetes RBAC over the rendered roles and bindings, and the admission fence's CEL
evaluated by a real CEL engine (cel-python) the way the API server runs a ValidatingAdmissionPolicy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import celpy
from celpy import celtypes, json_to_cel
from celpy.evaluation import CELEvalError

from linking.kubernetes.documents import rule_allows

CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CLUSTER_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ()

    @classmethod
    def service_account(cls, namespace: str, name: str) -> "User":
        return cls(f"system:serviceaccount:{namespace}:{name}",
                   ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"))


@dataclass
class Rbac:
    """The RBAC authorizer over one plan's ClusterRoles and bindings (no default cluster roles: only the link's)."""

    roles: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    bindings: list[tuple[Optional[str], str, list[dict[str, Any]]]] = field(default_factory=list)
    """(namespace or None for a ClusterRoleBinding, ClusterRole name, subjects)."""

    @classmethod
    def of(cls, plan: Any) -> "Rbac":
        rbac = cls()
        for resource in plan.by_type(CLUSTER_ROLE):
            rbac.roles[resource.inputs["metadata"]["name"]] = resource.inputs["rules"]
        for resource in plan.by_type(CLUSTER_BINDING) + plan.by_type(ROLE_BINDING):
            namespace = resource.inputs["metadata"].get("namespace") if resource.type == ROLE_BINDING else None
            rbac.bindings.append((namespace, resource.inputs["roleRef"]["name"], resource.inputs["subjects"]))
        return rbac

    def allows(self, user: User, verb: str, resource: str, namespace: Optional[str] = None, group: str = "") -> bool:
        """``namespace`` None is a cluster-scoped request (or one across all namespaces)."""
        for bound_in, role, subjects in self.bindings:
            if bound_in is not None and bound_in != namespace:
                continue
            if not any(_is(user, subject) for subject in subjects):
                continue
            if any(rule_allows(rule, group, resource, verb) for rule in self.roles.get(role, [])):
                return True
        return False


def _is(user: User, subject: dict[str, Any]) -> bool:
    if subject["kind"] == "ServiceAccount":
        return user.name == f"system:serviceaccount:{subject['namespace']}:{subject['name']}"
    if subject["kind"] == "User":
        return user.name == subject["name"]
    return subject["name"] in user.groups


class Fence:
    """A ValidatingAdmissionPolicy (as planned) evaluated with cel-python: match conditions, then variables
    (an error is kept as the variable's value, so it surfaces only where used, as the API server's lazy variables
    do), then every validation."""

    def __init__(self, policy_spec: dict[str, Any]) -> None:
        env = celpy.Environment()
        self.spec = policy_spec
        self.match = [env.program(env.compile(c["expression"])) for c in policy_spec["matchConditions"]]
        self.variables = [(v["name"], env.program(env.compile(v["expression"]))) for v in policy_spec["variables"]]
        self.validations = [(env.program(env.compile(v["expression"])), v["message"]) for v in policy_spec["validations"]]

    def applies(self, user: User, obj: dict[str, Any], operation: str = "CREATE", old: Optional[dict[str, Any]] = None) -> bool:
        activation = self._activation(user, obj, operation, old)
        return all(bool(program.evaluate(activation)) for program in self.match)

    def denials(self, user: User, obj: dict[str, Any], operation: str = "CREATE", old: Optional[dict[str, Any]] = None) -> list[str]:
        """The messages of the validations that fail (empty: admitted). A request the policy does not match is admitted."""
        if not self.applies(user, obj, operation, old):
            return []
        activation = self._activation(user, obj, operation, old)
        variables: dict[Any, Any] = {}
        activation["variables"] = celtypes.MapType(variables)
        for name, program in self.variables:
            try:
                variables[celtypes.StringType(name)] = program.evaluate(activation)
            except CELEvalError as error:
                variables[celtypes.StringType(name)] = error
            activation["variables"] = celtypes.MapType(variables)
        denied = []
        for program, message in self.validations:
            try:
                admitted = bool(program.evaluate(activation))
            except CELEvalError:
                admitted = False  # failurePolicy Fail: an expression that errors rejects the request
            if not admitted:
                denied.append(message)
        return denied

    @staticmethod
    def _activation(user: User, obj: dict[str, Any], operation: str, old: Optional[dict[str, Any]]) -> dict[str, Any]:
        namespace = obj.get("metadata", {}).get("namespace", "")
        request = {"operation": operation, "namespace": namespace, "userInfo": {"username": user.name, "groups": list(user.groups)}}
        return {"object": json_to_cel(obj), "oldObject": json_to_cel(old), "request": json_to_cel(request)}
