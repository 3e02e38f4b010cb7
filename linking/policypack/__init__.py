"""A Pulumi CrossGuard policy pack running linking's lint rules; see ``PulumiPolicy.yaml``."""
