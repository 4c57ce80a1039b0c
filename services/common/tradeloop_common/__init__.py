"""Code shared by the three tradeloop Lambda services, shipped to them as a layer."""

__version__ = "0.1.0"
