"""tradeloop dashboard: a Dash app that talks to the tradeloop HTTP API and nothing else.

Entry point for gunicorn: ``dashboard.app:server``."""
