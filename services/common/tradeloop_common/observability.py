"""One logger, tracer and metrics object per process; the service name comes from
POWERTOOLS_SERVICE_NAME (set per function by Terraform and by the local runtime)."""

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
# The namespace is the stack's name (POWERTOOLS_METRICS_NAMESPACE, set by terraform/modules/stack),
# which the alarms on these metrics name too.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "tradeloop")
