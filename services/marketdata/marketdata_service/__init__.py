"""The market-data service: the session's daily bars for the traded universe, validated with the
CSV ingest's rules, appended idempotently, with a quality report; the first step of the daily
pipeline."""
