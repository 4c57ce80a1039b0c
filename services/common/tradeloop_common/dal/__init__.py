"""Data-access layer: the only code in the services that talks to AWS APIs."""
