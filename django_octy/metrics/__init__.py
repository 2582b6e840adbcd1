"""Numbers to alert on: the pipeline's state for Prometheus, and health views for probes.

Mount with ``path("octy/ops/", include("django_octy.metrics.urls"))``. The
metrics view needs the ``metrics`` extra (``prometheus-client``); the health
views need nothing more than the app.
"""
