"""One logger, tracer and metrics object per process; the service name comes from
POWERTOOLS_SERVICE_NAME (set per function by Terraform and by the local runtime)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="tradeloop")
