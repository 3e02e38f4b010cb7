"""What every link component does first: take a checked spec and the invoke options it will use."""

from __future__ import annotations

from typing import Optional

import pulumi

from .config import CONFIG_KEY, LinkSpec
from .errors import LinkConfigError
from .validation import join_path


def checked_spec(link: LinkSpec, provider: str) -> LinkSpec:
    """The spec after the stack-file checks, for this provider only."""
    spec = link.checked()
    if spec.provider != provider or getattr(spec, provider) is None:
        raise LinkConfigError(join_path(CONFIG_KEY, ["provider"]), spec.provider, f"{provider}, with a {provider} section")
    return spec


def invoke_options(opts: Optional[pulumi.ResourceOptions]) -> pulumi.InvokeOptions:
    """Invoke with the provider the component itself will use (explicit, or inherited from a parent).

    Invokes run before the component registers, so a failed guard leaves nothing behind.
    """
    if opts is None:
        return pulumi.InvokeOptions()
    return pulumi.InvokeOptions(provider=opts.provider, parent=opts.parent)
