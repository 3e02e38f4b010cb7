"""The offline plan: a stack's program under Pulumi's mock runtime, recorded and rendered.

``runtime`` runs a program and records each resource; ``stackfile`` reads ``Pulumi.<stack>.yaml``;
``text`` and ``markdown`` render a plan; ``batch`` plans many stack files.
"""
