"""Dashboard pages: Dash imports each module itself (``use_pages=True``); each registers its route."""
