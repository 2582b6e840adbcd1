"""A small host project used by the tests: its models are registered as Octy sources."""
