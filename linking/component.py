"""What every link component does first: take a checked spec and the invoke options it will use."""

from __future__ import annotations

import contextvars
import json
import re
import weakref
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping, Optional

import pulumi

from .contract import CONFIG_KEY, camel, replace_at, visible_words, when_resolved
from .descriptor import Cloud
from .errors import LinkConfigError
from .findings import Finding, RuleTable, apply_waivers, errors
from .policy import builtin_document_path, kept_by_ledger, ledgered_reads
from .record import LinkRecord
from .validation import join_path

if TYPE_CHECKING:
    from .config import LinkSpec


OFFLINE = contextvars.ContextVar("linking_offline_plan", default=False)
"""True while `linking plan` runs a program: components then read nothing from the machine (no ambient
kubeconfig, no credentials) and put a placeholder where they would have."""
UNCHECKED: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("linking_unchecked_guards", default=frozenset())
"""The clouds whose identity an offline plan does not know (its stack configures none for it): the guard against
the wrong account, subscription or project is then not checked, and the plan says so."""


def checked_spec(link: "LinkSpec", cloud: Cloud, rules: RuleTable) -> "LinkSpec":
    """The spec after the stack-file checks, for this cloud only (its waivers naming its ``rules``); a second link
    with the same id on the same target in one program is refused here (both would create the same physical names)."""
    spec = link.checked()
    provider = cloud.name
    if spec.provider != provider or spec.settings is None:
        raise LinkConfigError(join_path(CONFIG_KEY, ["provider"]), spec.provider, f"{provider}, with a {provider} section")
    check_waivers(spec, rules)
    root = pulumi.runtime.get_root_resource()
    claimed = _CLAIMED.setdefault(root, set()) if root is not None else set()
    key = (spec.provider, link_target(spec, cloud), spec.id)
    if key in claimed:
        raise LinkConfigError(
            join_path(CONFIG_KEY, ["id"]), spec.id,
            f"an id no other {spec.provider} link of this program uses on {key[1]} (both would create the same role and names)",
        )
    claimed.add(key)
    return spec


_CLAIMED: "weakref.WeakKeyDictionary[Any, set[tuple[str, str, str]]]" = weakref.WeakKeyDictionary()
"""Per program (its root Stack resource): the links it has created, by provider, target and id."""


def link_target(spec: "LinkSpec", cloud: Cloud) -> str:
    """What a link's physical names are unique within: the account, subscription, project or cluster."""
    target = cloud.target(spec.settings)
    if not isinstance(target, str):  # an Output: a target the program creates in this run, named once it exists
        target = f"(a target created in this run, link {spec.id})"
    return f"{spec.provider} {target}"


def check_waivers(spec: "LinkSpec", rules: RuleTable) -> None:
    """Each waiver names a rule this provider's lint has, and gives a reason in visible words."""
    for index, waiver in enumerate(spec.waivers):
        if waiver.rule not in rules:
            raise LinkConfigError(
                join_path(CONFIG_KEY, ["waivers", index, "rule"]), waiver.rule,
                f"a {spec.provider} lint rule: one of {', '.join(sorted(rules))}",
            )
        if len(visible_words(waiver.reason)) < 2:
            raise LinkConfigError(
                join_path(CONFIG_KEY, ["waivers", index, "reason"]), waiver.reason,
                "a reason in at least two words of letters or digits (why this link needs the exception, on record)",
            )


def child_provider(opts: Optional[pulumi.ResourceOptions], package: str) -> Optional[pulumi.ProviderResource]:
    """The provider the component's ``package`` children will use, by the SDK's rules for a component.

    ``providers`` (a map or a list) wins over ``provider``, which wins over what
    the parent carries; None is the default provider.
    """
    if opts is None:
        return None
    if isinstance(opts.providers, Mapping):
        given = dict(opts.providers)
    else:
        given = {p.package: p for p in opts.providers or ()}
    if opts.provider is not None:
        given.setdefault(opts.provider.package, opts.provider)
    if package in given:
        return given[package]
    return opts.parent.get_provider(f"{package}::") if opts.parent is not None else None


def invoke_options(opts: Optional[pulumi.ResourceOptions], package: str) -> pulumi.InvokeOptions:
    """Invoke ``package`` functions with the provider the component's children will use.

    Invokes run before the component registers, so a failed guard leaves nothing
    behind; they must ask the same account the resources will be created in.
    """
    if opts is None:
        return pulumi.InvokeOptions()
    return pulumi.InvokeOptions(provider=child_provider(opts, package), parent=opts.parent)


def enforce_lint(findings: Iterable[Finding], spec: "LinkSpec", key_path: str) -> list[Finding]:
    """Waivers applied; the first remaining error stops the link (before anything registers). Returns the warnings."""
    findings = apply_waivers(findings, spec.waivers)
    blocking = errors(findings)
    if blocking:
        first = blocking[0]
        raise LinkConfigError(
            key_path,
            f"{first.rule}: {first.detail}",
            f"no {first.title} (in {first.location}); if this link truly needs it, waive it with a reason: "
            f"linking:link.waivers: [{{rule: {first.rule}, grant: <what it names, such as {_named_grant(first)}>, reason: ...}}]"
            + (f" ({len(blocking) - 1} more lint errors)" if len(blocking) > 1 else ""),
        )
    return findings


def _named_grant(found: Finding) -> str:
    """The first action, permission or resource a finding names, as a waiver would name it."""
    match = re.search(r"[\w-]+:[\w*-]+|[a-z]+(?:\.[\w-]+){2,}|[\w-]+/[\w*-]+", found.detail.split(" [class:")[0])
    return match.group() if match else found.rule


def report_warnings(component: pulumi.Resource, findings: Iterable[Finding]) -> list[str]:
    """Log each warning (``linking plan`` prints them) and return them for the link record."""
    rendered = [f.render() for f in findings]
    for message in rendered:
        pulumi.log.warn(message, resource=component)
    return rendered


def wrong_target(key: str, configured: str, actual: Optional[str], fix: str) -> LinkConfigError:
    """The guard's error: the configured account/subscription/project is not the one the credentials reach."""
    return LinkConfigError(
        join_path(CONFIG_KEY, key.split(".")),
        configured,
        f"what the credentials reach, {actual or '(nothing configured)'}: {fix} "
        "(linking the wrong account is the mistake this check exists for)",
    )


@dataclass(frozen=True)
class TierFacts:
    """What a link's tier is, computed once from its spec: the document, how findings name it, where its errors
    point, and what its ledger keeps."""

    name: str
    """``admin``, ``readonly`` or ``custom``."""
    document: Path
    """The user's file for tier custom, the wider admin document when its scope opts in (Azure's wider admin is the
    same role assigned on the whole subscription), else the shipped ``policy_docs/<provider>/<tier>``."""
    label: str
    """How findings name the document: ``policy_docs/<provider>/<file>``, or the user's file."""
    key_path: str
    """Where an error in the document points: the user's policyFile, or the tier we ship."""

    @classmethod
    def of(cls, spec: "LinkSpec", cloud: Cloud) -> "TierFacts":
        if spec.tier == "custom":
            assert spec.policy_file is not None  # the schema requires it for tier custom
            document = Path(spec.policy_file)
            return cls(spec.tier, document, str(document), join_path(CONFIG_KEY, ["policyFile"]))
        wider = cloud.wider_admin
        opted = spec.tier == "admin" and wider is not None and spec.settings.scope == wider[0]
        document = builtin_document_path(spec.provider, wider[1] if opted and wider else spec.tier)
        return cls(spec.tier, document, f"policy_docs/{spec.provider}/{document.name}", join_path(CONFIG_KEY, ["tier"]))

    @cached_property
    def kept(self) -> frozenset[str]:
        """What the ledger of a shipped tier keeps, with reasons (the lint accepts exactly that); a custom tier keeps
        nothing by ledger: its waivers are in the stack file, where a reviewer sees them."""
        return frozenset() if self.name == "custom" else kept_by_ledger(self.document)

    def kept_reads(self, reader: Optional[Path] = None) -> list[Finding]:
        """The reads a readonly tier keeps by its ledger although they can return secrets, as warnings: of this tier
        when it is readonly, and of ``reader``, a readonly role a cloud assigns beside another tier."""
        paths = ([self.document] if self.name == "readonly" else []) + ([reader] if reader else [])
        return [found for path in paths for found in ledgered_reads(path)]


class LinkComponent(pulumi.ComponentResource):
    """What every link component does, in this order: check the spec, render the tier's documents (checking the
    target through the invokes), lint them, and only then register the component and its resources and publish the
    link record. So a user's mistake or a lint error stops the link before anything is registered.

    A cloud's component says how it renders (`render`: documents and their findings, no resources) and how it
    registers (`register`: its resources under the component, and the record), and what else it outputs.
    """

    TYPE: ClassVar[str]
    """The component's type token, ``linking:<cloud>:<Type>``."""
    CLOUD: ClassVar[Cloud]
    RULES: ClassVar[RuleTable]
    """The cloud's lint rules: what a waiver may name."""
    link_record: pulumi.Output[LinkRecord]
    link_secrets: Optional[pulumi.Output[dict[str, Any]]] = None
    """Always a Pulumi secret; None when the link hands out none."""

    def __init__(self, name: str, args: Any, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        run = RunTimeSettings(checked_spec(args.link, self.CLOUD, self.RULES))
        tier = TierFacts.of(run.spec, self.CLOUD)
        findings = enforce_lint(self.render(run, tier, args, opts), run.spec, tier.key_path)
        super().__init__(self.TYPE, name, None, opts)
        warnings = report_warnings(self, findings)
        self.link_record = self.register(name, run, tier, warnings, opts)
        self.register_outputs({**self.outputs(), "linkRecord": self.link_record, "linkSecrets": self.link_secrets})

    def render(self, run: "RunTimeSettings", tier: TierFacts, args: Any, opts: Optional[pulumi.ResourceOptions]) -> list[Finding]:
        """The documents (kept on the component) and everything the lint finds in them and the settings."""
        raise NotImplementedError

    def register(self, name: str, run: "RunTimeSettings", tier: TierFacts, warnings: list[str],
                 opts: Optional[pulumi.ResourceOptions]) -> pulumi.Output[LinkRecord]:
        """The resources, each a child of the component, and the link record."""
        raise NotImplementedError

    def outputs(self) -> dict[str, Any]:
        """What the component outputs besides its record and secrets."""
        raise NotImplementedError


class RunTimeSettings:
    """The settings of a checked spec that are Outputs (its run-time fields), for the resources that name them.

    Everything is rendered and linted with each setting's stand-in; `put` gives a value (a document's text, a
    resource argument, a record) with the real, checked values in place of the stand-ins once they resolve, and
    gives a value that names none back unchanged, so a link whose settings are all known now plans as before.
    """

    def __init__(self, spec: "LinkSpec") -> None:
        self.stand_ins = spec.run_time_fields()
        self.outputs = {path: output for path in self.stand_ins if (output := when_resolved(spec, *path)) is not None}
        for path in self.outputs:
            spec = replace_at(spec, path, self.stand_ins[path])
        self.spec = spec
        """The checked spec with each Output's stand-in: what the component renders, lints and names."""

    @property
    def pending(self) -> list[tuple[str, Any]]:
        return [(self.stand_ins[path], output) for path, output in self.outputs.items()]

    def check(self, path: tuple[str, ...], check: Any, answer: Optional[tuple[Any, Any]] = None) -> None:
        """Run ``check(value)`` on the setting: now when it is known, else when it resolves (before anything names it).

        With ``answer``, a pair of ways to ask the cloud (an invoke, and its Output form), ``check(value, answered)``:
        a setting known only at run time is compared with the Output form, since an invoke made inside an apply
        does not return under the mock runtime.
        """
        if answer is not None and path[0] in UNCHECKED.get():
            key = ".".join(camel(part) for part in path)
            pulumi.log.warn(f"linking:link.{key}: not checked offline: the stack configures no {path[0]} identity for the plan "
                            "to compare with; pulumi up checks it against the credentials")
            return
        if path not in self.outputs:
            check(self.setting(*path), *([answer[0]()] if answer else []))
        elif answer is None:
            self.outputs[path] = self.outputs[path].apply(lambda value: check(value) or value)
        else:
            self.outputs[path] = pulumi.Output.all(self.outputs[path], answer[1]()).apply(lambda pair: check(*pair) or pair[0])

    def setting(self, *path: str) -> Any:
        """The setting at ``path`` (``"azure", "subscription_id"``): its value, or its Output once checked."""
        if path in self.outputs:
            return self.outputs[path]
        value: Any = self.spec
        for name in path:
            value = getattr(value, name)
        return value

    def put(self, value: Any) -> Any:
        """``value`` (a string, or lists and dicts of them, or an Output of those) with the real values in."""
        if not self.pending or not (isinstance(value, pulumi.Output) or self._names(value)):
            return value
        if isinstance(value, (dict, list, tuple)) and not isinstance(value, pulumi.Output):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            if all(not isinstance(item, pulumi.Output) for _, item in items):  # leaves resolve one by one: typed args stay typed
                return {k: self.put(v) for k, v in value.items()} if isinstance(value, dict) else [self.put(v) for v in value]
        stand_ins = [stand_in for stand_in, _ in self.pending]
        return pulumi.Output.all(value, *[output for _, output in self.pending]).apply(
            lambda resolved: _substitute(resolved[0], _replacements(zip(stand_ins, resolved[1:])))
        )

    def derive(self, function: Any, *args: Any) -> Any:
        """``function(*args)`` on the real values: a name derived from a setting (a GUID from a subscription id)."""
        if not self._names(list(args)):
            return function(*args)
        return pulumi.Output.all(*[self.put(arg) for arg in args]).apply(lambda resolved: function(*resolved))

    def sha256(self, text: str) -> Any:
        """The SHA-256 of a rendered document as created: with the real values in."""
        from .canonical import sha256_hex

        return sha256_hex(text) if not self._names(text) else self.put(text).apply(sha256_hex)

    def _names(self, value: Any) -> bool:
        if isinstance(value, str):
            return any(form in value for stand_in, _ in self.pending for form in _forms(stand_in))
        if isinstance(value, dict):
            return any(self._names(item) for item in value.values())
        if isinstance(value, (list, tuple)):
            return any(self._names(item) for item in value)
        return False


def _forms(value: str) -> list[str]:
    """A setting as documents spell it: itself; an URL also without its scheme (IAM's OIDC condition keys); an ARN
    also its account and its last name (a GCP workload identity pool trusts an AWS account and assumed role)."""
    forms = [value]
    if value.startswith("https://"):
        forms.append(value.removeprefix("https://").rstrip("/"))
    if value.startswith("arn:") and value.count(":") >= 5:
        forms += [value.split(":")[4], value.rsplit("/", 1)[-1]]
    return forms


def _replacements(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(old, new) for stand_in, value in pairs for old, new in zip(_forms(stand_in), _forms(value))]


def _substitute(value: Any, replacements: list[tuple[str, str]]) -> Any:
    """``value`` with the replacements made; a rendered JSON document is parsed and rendered again, so that a value
    with a quote in it stays a string inside the document (the checks allow some that JSON must escape)."""
    if isinstance(value, str) and value.startswith("{"):
        from .canonical import canonical_json

        return canonical_json(_substitute(json.loads(value), replacements))
    if isinstance(value, str):
        for old, new in replacements:
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {_substitute(key, replacements): _substitute(item, replacements) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_substitute(item, replacements) for item in value]
    return value


def is_stand_in(spec: "LinkSpec", value: Any) -> bool:
    """Whether a value is the stand-in of a setting that is an Output (checked when it resolves)."""
    return isinstance(value, str) and value in spec.run_time_fields().values()
