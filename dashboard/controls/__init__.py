"""The Controls page's parts, one module per job: the kill switch, the risk limits, the manual
order ticket, running signals now, and the history of changes. Each holds its card (layout) and
the callbacks that serve it; ``dashboard/pages/controls.py`` lays the cards out.

Ids are prefixed ``controls-`` (the ticket's ``ticket-``); ``controls-changed`` (a counter in a
``dcc.Store``) tells the state, limits and history that a change was made here."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc


def card(title: str, body: list[Any], card_id: str) -> dbc.Card:
    return dbc.Card(
        [dbc.CardHeader(title, className="fw-semibold"), dbc.CardBody(body)], className="shadow-sm mb-4", id=card_id
    )
