"""The lint's rule tables, joined: every rule id of every provider (``linking/<cloud>/lint.py``)."""

from __future__ import annotations

from .aws import lint as aws
from .azure import lint as azure
from .findings import RULES as SHARED, RuleTable
from .gcp import lint as gcp
from .kubernetes import lint as kubernetes

RULES: RuleTable = {**SHARED, **aws.RULES, **azure.RULES, **gcp.RULES, **kubernetes.RULES}
