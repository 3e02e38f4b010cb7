"""Hosts the linking components for Pulumi programs in any language (see linking/plugin.py)."""

from pulumi.provider.experimental import component_provider_host

from linking.plugin import COMPONENTS, PACKAGE

if __name__ == "__main__":
    component_provider_host(components=COMPONENTS, name=PACKAGE)
