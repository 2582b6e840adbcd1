"""Reliability scenarios: long, fault-injecting, hostile-input and security runs (``-m reliability``)."""
