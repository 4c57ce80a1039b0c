"""tradeloop ML pipeline: ingest -> features -> labels -> walk-forward -> train -> publish -> promote.

Run ``python -m ml --help``. TensorFlow is imported lazily, only by the steps that need it.
"""
