"""Octy's endpoints, one module per resource group."""
