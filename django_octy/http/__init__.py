"""What the package's API clients (Octy, Octopus) share: no Django, no knowledge of either API.

The retry policy (:mod:`.retrying`), the pooled per-process session
(:mod:`.session`), the checks of a base URL and timeouts (:mod:`.config`) and
the reading of an answer's body (:mod:`.bodies`).
"""
