"""The policy pack's entry point: only here is the PolicyPack built (constructing it starts the policy server)."""

from pulumi_policy import PolicyPack

from linking.policypack.validators import POLICIES

PolicyPack(name="linking-guardrails", policies=POLICIES)
