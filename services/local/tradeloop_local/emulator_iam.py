"""IAM enforced in the embedded emulator, as AWS enforces it for what tradeloop does.

moto 5.2.5 authenticates and authorises every request against IAM once
``INITIAL_NO_AUTH_ACTION_COUNT`` is reached, with gaps that would let a missing grant pass
locally and fail in AWS, or crash. This module, installed in the emulator process only, fills
the ones the stack meets:

* DynamoDB is authorised against resource ``*`` (no resource resolver): here each table or
  index ARN is checked, every table of a batch or transaction, with the actions AWS checks
  (a ``TransactWriteItems`` needs PutItem / UpdateItem / DeleteItem / ConditionCheckItem on
  each table it writes).
* Statement evaluation: conditions (``StringLike`` on ``s3:prefix`` ...) were ignored or, when
  unmet, turned into an explicit deny; a trust statement naming a service principal crashed
  AssumeRole (TypeError in ``_check_principal``). Here an unmet condition or principal makes
  the statement not apply, as in AWS, and ``s3:prefix`` is known for ListBucket.
* Presigned S3 URLs (query-string auth) crashed authorisation (no Authorization header): here
  they are authorised as the identity that signed them.
* Secrets Manager and EventBridge are authorised against resource ``*``: here against the secret
  a request names and the event bus a PutEvents targets.
* An administrator: the operator's tools (Terraform, seeding, publishing a model, the tests'
  own set-up) sign with fixed keys of a user holding AdministratorAccess.
* The Lambda service's AssumeRole: :func:`lambda_credentials` gives a function's role
  credentials, after checking its trust policy lets ``lambda.amazonaws.com`` assume it. The
  local runtime runs each handler with them, so every call it makes is checked against the
  policy Terraform attached to that role.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlparse

ACCOUNT_ID = "123456789012"
ADMIN_USER = "tradeloop-admin"
ADMIN_ACCESS_KEY_ID = "AKIATRADELOOPADMIN01"
ADMIN_SECRET_ACCESS_KEY = "tradeloop-embedded-emulator-administrator"
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"


class TrustPolicyError(ValueError):
    """The role's trust policy does not let the Lambda service assume it."""


# ---- statement evaluation ----------------------------------------------------------------------


def _values(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool | None:
    """Whether one condition entry holds; None for an operator this emulator cannot evaluate."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    actual = context.get(key)
    if actual is None:
        # AWS: a missing key does not match, except for ...IfExists (and the negated operators).
        return if_exists or base.startswith(("StringNot", "ArnNot"))
    wanted = _values(expected)
    if base in ("StringEquals", "ArnEquals"):
        return actual in wanted
    if base in ("StringNotEquals", "ArnNotEquals"):
        return actual not in wanted
    if base in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, w) for w in wanted)
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(fnmatch.fnmatchcase(actual, w) for w in wanted)
    if base == "StringEqualsIgnoreCase":
        return actual.lower() in [w.lower() for w in wanted]
    if base == "Bool":
        return actual.lower() in [w.lower() for w in wanted]
    return None


def _conditions_hold(conditions: dict[str, Any] | None, context: dict[str, str], effect: str) -> bool:
    for operator, entries in (conditions or {}).items():
        for key, expected in entries.items():
            holds = _condition_holds(operator, key, expected, context)
            if holds is None:
                # Unknown operator: assume the worst for either effect (an Allow does not apply,
                # a Deny does).
                holds = effect == "Deny"
            if not holds:
                return False
    return True


def _principal_matches(expected: Any, principal: str) -> bool:
    if not expected or expected == "*":
        return True
    if isinstance(expected, dict):
        aws = expected.get("AWS")
        return aws is not None and (aws == "*" or principal in _values(aws))
    return principal in _values(expected)


def _patched_statement_check(
    self: Any,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> Any:
    from moto.iam.access_control import PermissionResult

    statement = self._statement
    if "NotAction" in statement:
        concerned = not self._check_element_matches("NotAction", action)
    else:
        concerned = self._check_element_matches("Action", action)
    if not concerned or self.is_unknown_principal(statement.get("Principal")):
        return PermissionResult.NEUTRAL
    if principal and not _principal_matches(statement.get("Principal"), principal):
        return PermissionResult.NEUTRAL
    effect = statement.get("Effect", "Allow")
    if not _conditions_hold(statement.get("Condition"), incoming_condition_values or {}, effect):
        return PermissionResult.NEUTRAL
    if "NotResource" in statement:
        matches = not self._check_element_matches("NotResource", resource)
    else:
        # Trust policies have no Resource: the statement is about the role itself.
        matches = not statement.get("Resource") or self._check_element_matches("Resource", resource)
    if not matches:
        return PermissionResult.NEUTRAL
    return PermissionResult.PERMITTED if effect == "Allow" else PermissionResult.DENIED


# ---- the request side --------------------------------------------------------------------------


def _request_context(request: Any) -> dict[str, str]:
    """Condition keys AWS would know for this request (those tradeloop's policies use)."""
    context: dict[str, str] = {}
    query = parse_qs(urlparse(request._path).query)
    if request._service == "s3" and request._action == "s3:ListBucket":
        context["s3:prefix"] = query.get("prefix", [""])[0]
    return context


def _patched_check_action_permitted(self: Any, resource: str) -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self._action == "sts:GetCallerIdentity":
        return
    context = _request_context(self)
    permitted = False
    for policy in self._access_key.collect_policies():
        result = IAMPolicy(policy).is_action_permitted(self._action, resource, None, context)
        if result == PermissionResult.DENIED:
            self._raise_access_denied()
        permitted = permitted or result == PermissionResult.PERMITTED
    if self._is_assuming_role_operation(resource):
        permitted = permitted and self._check_role_trust_relationship(resource)
    if not permitted:
        self._raise_access_denied()


def _presigned_headers(response: Any) -> dict[str, str] | None:
    """Headers that let moto's request checker read a query-string-signed (presigned) request:
    SigV4 (X-Amz-Credential) or SigV2 (AWSAccessKeyId, what boto3 presigns for S3 by default)."""
    query = {k.lower(): v[0] for k, v in parse_qs(urlparse(response.uri).query).items()}
    credential = query.get("x-amz-credential")
    if credential is None and "awsaccesskeyid" in query:
        credential = f"{query['awsaccesskeyid']}/19700101/{response.region}/s3/aws4_request"
    if credential is None:
        return None
    headers = dict(response.headers)
    headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=presigned"
    if "x-amz-security-token" in query:
        headers["X-Amz-Security-Token"] = query["x-amz-security-token"]
    return headers


# API operations that AWS authorises as another IAM action (moto checks the operation's name).
ACTION_ALIASES = {
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}


def _authorize(response: Any, iam_request_cls: type, checks: Iterable[tuple[str | None, str]]) -> None:
    """Authenticate the request once, then authorise each (action, resource): action None is
    the request's own action."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    from tradeloop_local.persistence import DETERMINISM

    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    # A journal replay skips authorisation (only allowed requests were journaled): so must the
    # recorded clock (tradeloop_local.persistence).
    with DETERMINISM.unrecorded():
        _authenticate_and_check(response, iam_request_cls, checks)


def _authenticate_and_check(response: Any, iam_request_cls: type, checks: Iterable[tuple[str | None, str]]) -> None:
    from moto.core.authorization import ActionAuthenticatorMixin

    if response.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        return
    headers, presigned = response.headers, False
    if "Authorization" not in headers:
        # Anonymous requests carry no identity: a missing key id is refused like an unknown one.
        headers = _presigned_headers(response) or {
            **dict(headers),
            "Authorization": "AWS4-HMAC-SHA256 Credential=ANONYMOUS/19700101/us-east-1/s3/aws4_request, "
            "SignedHeaders=host, Signature=none",
        }
        presigned = True
    parsed = urlparse(response.uri)
    path = response.raw_path + (f"?{parsed.query}" if parsed.query else "")
    request = iam_request_cls(
        account_id=response.current_account,
        method=response.method,
        path=path,
        # moto recomputed the signature of a body-less request (a REST GET) with its parsed query
        # as the payload, so it never matched: such a request's payload is nothing.
        data={} if response.method in ("GET", "HEAD", "DELETE") and not response.raw_body else response.data,
        body=response.raw_body,
        headers=headers,
        action=response._get_action(),
    )
    resource = "*"
    try:
        if not presigned:  # a presigned URL's signature is checked by moto's S3 itself
            request.check_signature()
        own = ACTION_ALIASES.get(request._action, request._action)
        for action, resource in checks:
            request._action = f"{request._service}:{action}" if action else own
            request.check_action_permitted(resource)
    except Exception as exc:
        raise _as_json_error(response, exc, request, resource) from exc


def _as_json_error(response: Any, exc: Exception, request: Any, resource: str) -> Exception:
    """moto raises auth errors as XML; JSON-protocol services (DynamoDB, SQS) answer JSON, which
    botocore parses into the error code the services' code checks (AccessDeniedException ...),
    and, as AWS does, the message names the action and the resource."""
    from moto.core.exceptions import JsonRESTError

    error_type = getattr(exc, "error_type", None)
    if error_type is None or "json" not in (response.headers.get("Content-Type") or ""):
        return exc
    message = str(getattr(exc, "message", exc))
    if error_type == "AccessDenied":
        message = (
            f"User: {request._access_key.arn} is not authorized to perform: {request._action} on resource: "
            f"{resource} because no identity-based policy allows the {request._action} action"
        )
    if response.service_name == "dynamodb" and error_type == "AccessDenied":
        error = JsonRESTError("AccessDeniedException", message)
        error.code = 400  # DynamoDB's status for AccessDeniedException
        return error
    error = JsonRESTError(error_type, message)
    error.code = getattr(exc, "code", 400)
    return error


def _patched_authenticate(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    _authorize(self, iam_request_cls, [(None, resource)])


# ---- DynamoDB resources --------------------------------------------------------------------------

# Operations that are not IAM actions themselves: each item is authorised as its own action.
_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_BATCH_WRITE = {"PutRequest": "PutItem", "DeleteRequest": "DeleteItem"}


def dynamodb_checks(action: str, body: dict[str, Any], region: str, account: str) -> list[tuple[str | None, str]]:
    """(IAM action, resource ARN) pairs AWS checks for one DynamoDB request."""

    def arn(table: str, index: str | None = None) -> str:
        base = f"arn:aws:dynamodb:{region}:{account}:table/{table}"
        return f"{base}/index/{index}" if index else base

    if action == "TransactWriteItems":
        return [
            (_TRANSACT_WRITE[kind], arn(spec["TableName"]))
            for item in body.get("TransactItems", [])
            for kind, spec in item.items()
            if kind in _TRANSACT_WRITE
        ]
    if action == "TransactGetItems":
        return [("GetItem", arn(item["Get"]["TableName"])) for item in body.get("TransactItems", []) if "Get" in item]
    if action == "BatchWriteItem":
        return [
            (_BATCH_WRITE[kind], arn(table))
            for table, requests in body.get("RequestItems", {}).items()
            for kind in {k for r in requests for k in r}
            if kind in _BATCH_WRITE
        ]
    if action == "BatchGetItem":
        return [(None, arn(table)) for table in body.get("RequestItems", {})]
    if "TableName" in body:
        return [(None, arn(body["TableName"], body.get("IndexName")))]
    return [(None, "*")]  # ListTables and other account-level actions


def _patched_dynamodb_authenticate(self: Any, resource: str = "*") -> None:
    from moto.iam.access_control import IAMRequest

    try:
        body = json.loads(self.raw_body or b"{}")
    except ValueError:
        body = {}
    _authorize(self, IAMRequest, dynamodb_checks(self._get_action(), body, self.region, self.current_account))


# ---- Secrets Manager and EventBridge resources ----------------------------------------------------
# moto authorises both against resource "*", so a grant scoped to one secret or the default bus
# would be denied: here the request's own resource is checked, as AWS does.


def _json_body(response: Any) -> dict[str, Any]:
    try:
        body = json.loads(response.raw_body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def secret_resource(response: Any) -> str:
    """The ARN of the secret a Secrets Manager request names (SecretId: a name or an ARN)."""
    from moto.secretsmanager.models import secretsmanager_backends

    secret_id = _json_body(response).get("SecretId")
    if not secret_id:
        return "*"
    store = secretsmanager_backends[response.current_account][response.region].secrets
    if secret_id in store:
        return str(store[secret_id].arn)
    return str(secret_id) if str(secret_id).startswith("arn:") else "*"


def event_bus_resource(response: Any) -> str:
    """The event bus a PutEvents names (every entry must be on it; the default bus unless named)."""
    entries = _json_body(response).get("Entries") or [{}]
    buses = {str(e.get("EventBusName") or "default") for e in entries}
    if len(buses) != 1:
        return "*"
    bus = buses.pop()
    if bus.startswith("arn:"):
        return bus
    return f"arn:aws:events:{response.region}:{response.current_account}:event-bus/{bus}"


# ---- install -------------------------------------------------------------------------------------


def _create_admin() -> None:
    from moto.iam.models import iam_backends

    backend = iam_backends[ACCOUNT_ID]["aws"]
    if any(u.name == ADMIN_USER for u in backend.list_users("/", None, None)):
        return
    backend.create_user(region_name="us-east-1", user_name=ADMIN_USER, path="/", tags=[])
    backend.attach_user_policy("arn:aws:iam::aws:policy/AdministratorAccess", ADMIN_USER)
    key = backend.create_access_key(ADMIN_USER)
    # Fixed keys, so the operator's tools need no handshake: this identity exists only here.
    backend.access_keys.pop(key.physical_resource_id)
    key.access_key_id = ADMIN_ACCESS_KEY_ID
    key.secret_access_key = ADMIN_SECRET_ACCESS_KEY
    backend.access_keys[key.physical_resource_id] = key


def install(enforce: bool = True) -> None:
    """Patch moto in this process (the emulator's) and create the administrator; with enforce,
    every request from now on is authenticated and authorised."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.dynamodb.responses import DynamoHandler
    from moto.events.responses import EventsHandler
    from moto.iam.access_control import IAMPolicyStatement, IAMRequestBase
    from moto.secretsmanager.responses import SecretsManagerResponse

    IAMPolicyStatement.is_action_permitted = _patched_statement_check  # type: ignore[method-assign]
    IAMRequestBase.check_action_permitted = _patched_check_action_permitted  # type: ignore[method-assign]
    ActionAuthenticatorMixin._authenticate_and_authorize_action = _patched_authenticate  # type: ignore[method-assign]
    DynamoHandler._authenticate_and_authorize_normal_action = _patched_dynamodb_authenticate  # type: ignore[method-assign]
    SecretsManagerResponse._determine_resource = secret_resource  # type: ignore[attr-defined]
    EventsHandler._determine_resource = event_bus_resource  # type: ignore[attr-defined]
    _create_admin()
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if enforce else float("inf")
    ActionAuthenticatorMixin.request_count = 0


def enforcing() -> bool:
    from moto import settings

    return bool(settings.INITIAL_NO_AUTH_ACTION_COUNT == 0)


def lambda_credentials(role_arn: str, session_name: str) -> dict[str, str]:
    """What the Lambda service does before running a function: assume its execution role."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    role = iam_backends[ACCOUNT_ID]["aws"].get_role_by_arn(role_arn)
    trust = json.loads(role.assume_role_policy_document)
    statements = trust["Statement"] if isinstance(trust["Statement"], list) else [trust["Statement"]]
    if not any(
        s.get("Effect") == "Allow"
        and "sts:AssumeRole" in _values(s.get("Action", []))
        and LAMBDA_PRINCIPAL in _values((s.get("Principal") or {}).get("Service", []))
        for s in statements
    ):
        raise TrustPolicyError(f"{role_arn}: its trust policy does not let {LAMBDA_PRINCIPAL} assume it")
    assumed = sts_backends[ACCOUNT_ID]["aws"].assume_role(
        region_name="us-east-1",
        role_session_name=session_name,
        role_arn=role_arn,
        policy="",
        duration=12 * 3600,
        external_id="",
    )
    return {
        "AWS_ACCESS_KEY_ID": assumed.access_key_id,
        "AWS_SECRET_ACCESS_KEY": assumed.secret_access_key,
        "AWS_SESSION_TOKEN": assumed.session_token,
    }
