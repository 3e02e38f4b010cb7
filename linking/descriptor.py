"""What a cloud tells the rest of linking about itself: one `Cloud` per folder (``linking/<cloud>/cloud.py``).

Cross-cloud code (the stack program, the plan, the review, the plugin) asks `linking.providers` for a cloud's
descriptor instead of naming the cloud, so adding a cloud means adding its folder and one name in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

if TYPE_CHECKING:
    from .catalogue import Catalogue
    from .config import LinkSpec


@dataclass(frozen=True)
class Cloud:
    name: str
    """The provider's name in stack files (``linking:link.provider``) and its settings section."""
    component: str
    """The link component's class in ``linking.<name>.component``; its args class is ``<component>Args``."""
    sdk_modules: tuple[str, ...]
    """The modules the cloud's extra (``cloud-linking[<name>]``) installs."""
    check: "Callable[[LinkSpec, str, datetime], LinkSpec]"
    """The rules of its settings that span keys (the schema has checked each key)."""
    target: Callable[[Any], Any]
    """The settings -> what the link's physical names are unique within (account, subscription, project, cluster)."""
    plan_cost: float
    """Milliseconds a process spends planning one of its stacks (``tests/benchmarks/plan_floor.py``, the planner
    column): only the ratios matter, so that each worker gets about the same work."""
    catalogues: "Callable[[Optional[Path]], dict[str, Catalogue]]"
    """Its permission catalogues by key, read from a folder of independent catalogues or the shipped snapshots."""
    catalogue_keys: Callable[[Optional[Path]], tuple[str, ...]]
    """The keys `catalogues` answers for a folder (or the shipped snapshots), without reading them."""
    ambient: Callable[[Mapping[str, Any], Callable[[str], Any]], dict[str, Any]]
    """(its settings section, the stack's config by key) -> the identity its invokes answer offline, by key; a
    cloud whose identity stays unknown is named in the plan's warning."""
    expiry_enforced: bool = False
    """Whether the cloud itself stops access at ``expiresAt`` (a trust or IAM condition), or the expiry is only
    documented (on record, and the link must be disabled by hand)."""
    identity_key: Optional[str] = None
    """The ambient key without which its target guard cannot be compared offline; None: no guard to compare."""
    run_time_fields: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    """Its settings a program may pass as an Output -> the stand-in checked and rendered at plan time."""
    secret_keys: tuple[str, ...] = ()
    """Its keys that may hold a secret, relative to ``linking:link``."""
    wider_admin: Optional[tuple[str, str]] = None
    """(the scope that opts in to its wider admin tier, that tier's document name), where it ships one."""
    wildcard_noun: Optional[str] = None
    """What its catalogue counts (``actions``), where a grant's wildcard is worth counting in the review."""
    workload: Optional[type] = None
    """The settings of a workload identity in this cloud (``linking:serviceAccounts[].<name>``), if it offers one."""
    prepare_workload: Optional[Callable[[dict[str, Any], str, Path, dict[str, int], int], dict[str, Any]]] = None
    """(a workload's section, its key path, the project root, the issuers seen, its index) -> the section with its
    files contained and its cross-entry rules checked."""
    hosts_workloads: bool = False
    """Whether linked service accounts live here (their ServiceAccount): the link's provider, when the program links
    this cloud too, is the one they are created with (``pulumi_package`` names it)."""
    pulumi_package: Optional[str] = None
    """The Pulumi package of the provider the link creates and exposes as ``cluster_provider``."""
