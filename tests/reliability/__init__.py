"""Reliability scenarios: long fault-injection, hostile-input and security runs.

Select them with ``-m reliability``.
"""
