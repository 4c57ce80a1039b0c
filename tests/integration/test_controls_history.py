"""Every change of the controls is kept, by whom and why: a person halts with a reason, resuming
without one is refused (422 naming the field, nothing written), resuming with one is kept; the
history answers newest first with the old and new state and limits."""

from __future__ import annotations

import json
from typing import Any

import requests

from tests.utils import set_controls


def _history(api: str) -> list[dict[str, Any]]:
    r = requests.get(f"{api}/controls/history", timeout=30)
    assert r.status_code == 200, r.text
    return list(r.json()["changes"])


def test_a_halt_and_its_resume_are_kept_and_resuming_needs_a_reason(local_api: str, fresh_account: Any) -> None:
    assert _history(local_api) == []
    # Given a person halted trading with a reason
    halted = set_controls(local_api, trading_state="HALTED", reason="broker outage")
    # When someone resumes without saying why
    r = requests.put(f"{local_api}/controls", data=json.dumps({"trading_state": "ACTIVE"}), timeout=30)
    # Then it is refused, naming the field and the fix, and nothing is written
    assert r.status_code == 422, r.text
    (detail,) = r.json()["error"]["details"]
    assert detail["field"] == "reason" and "stopped it" in detail["fix"]
    assert requests.get(f"{local_api}/controls", timeout=30).json()["trading_state"] == "HALTED"
    assert len(_history(local_api)) == 1
    # When they resume with a reason
    resumed = set_controls(local_api, trading_state="ACTIVE", reason="broker back")
    assert resumed["version"] == halted["version"] + 1
    # Then both changes are kept, newest first, with who, why, and the state before and after
    newest, oldest = _history(local_api)
    assert (oldest["old_state"], oldest["new_state"], oldest["reason"]) == ("ACTIVE", "HALTED", "broker outage")
    assert (newest["old_state"], newest["new_state"], newest["reason"]) == ("HALTED", "ACTIVE", "broker back")
    assert newest["version"] == resumed["version"] and oldest["version"] == halted["version"]
    assert all(c["actor"].startswith("person:") for c in (newest, oldest))
    # And tightening needs no reason (stopping is always allowed), and is kept too
    r = requests.put(f"{local_api}/controls", data=json.dumps({"trading_state": "REDUCE_ONLY"}), timeout=30)
    assert r.status_code == 200, r.text
    assert _history(local_api)[0]["new_state"] == "REDUCE_ONLY"
