"""Settings a program creates in the same run (an account, a project, a cluster) passed as Outputs: planned with a
stand-in, filled in and checked when they resolve, with the same key-named errors as a value in code."""

from __future__ import annotations

import base64
import json
from typing import Any

import pulumi
import pytest

from linking import KubernetesSettings, LinkSpec
from linking.plan.runtime import Ambient, PlanMocks

CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()


def _fresh(ambient: Ambient = Ambient()) -> None:
    pulumi.runtime.settings.reset_options()
    pulumi.runtime.set_mocks(PlanMocks(ambient), preview=False)


def _cluster_link(server: Any, ca: Any):
    from linking.kubernetes.component import KubernetesClusterLink, KubernetesClusterLinkArgs

    spec = LinkSpec(id="fresh", tier="readonly", owner="platform@acme.example",
                    kubernetes=KubernetesSettings(server=server, ca_data=ca))
    return KubernetesClusterLink("fresh", KubernetesClusterLinkArgs(spec))


def test_a_cluster_created_in_the_same_run_is_linked_with_its_endpoint_and_ca():
    _fresh()
    link = _cluster_link(pulumi.Output.from_input("https://0123.gr7.eu-west-1.eks.amazonaws.com"), pulumi.Output.from_input(CA))

    @pulumi.runtime.test
    def check():
        def verify(values):
            kubeconfig, record = values
            assert "server: https://0123.gr7.eu-west-1.eks.amazonaws.com" in kubeconfig and CA in kubeconfig
            assert "linking-stand-in" not in kubeconfig + json.dumps(record)
            assert record["target"]["server"] == "https://0123.gr7.eu-west-1.eks.amazonaws.com"

        return pulumi.Output.all(link.kubeconfig, link.link_record).apply(verify)

    check()


@pytest.mark.parametrize("server,ca,field", [
    ("http://0123.example", CA, "KubernetesSettings.server"),
    ("https://0123.example", "not a certificate", "KubernetesSettings.ca_data"),
])
def test_a_cluster_setting_is_checked_when_it_resolves(server, ca, field):
    _fresh()
    link = _cluster_link(pulumi.Output.from_input(server), pulumi.Output.from_input(ca))

    @pulumi.runtime.test
    def check():
        return link.kubeconfig.apply(lambda _: None)

    with pytest.raises(Exception, match=field):
        check()


def test_a_setting_that_must_be_known_now_refuses_an_output():
    _fresh()
    spec = LinkSpec(id="fresh", tier="readonly", owner=pulumi.Output.from_input("platform@acme.example"),
                    kubernetes=KubernetesSettings(server="https://k8s.example", ca_data=CA))
    from linking.errors import LinkConfigError

    with pytest.raises(LinkConfigError, match="LinkSpec.owner"):
        spec.checked()

