"""Hosts the linking components for Pulumi programs in any language (see linking/plugin.py)."""

import sys

from pulumi.provider import main

from linking.plugin import provider

if __name__ == "__main__":
    main(provider(), sys.argv[1:])
