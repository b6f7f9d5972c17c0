"""moto's server for the local stack, with changes that make it behave like the real thing.

- DynamoDB: a conditional write is atomic in DynamoDB. moto's threaded server checks the condition
  and applies the write without a lock, so two concurrent requests can both pass `attribute_not_exists`
  (seen as a page sent twice under an alert storm). Every DynamoDB backend operation is serialized.
- EKS: a cluster named in MCP_MOTO_EKS_CLUSTERS (JSON: name -> {"endpoint", "ca"}) gets that API
  endpoint and CA instead of random ones, so DescribeCluster leads a function to the local API
  server as it leads to EKS (the deployed-shape test).
- IAM (only where enforced, INITIAL_NO_AUTH_ACTION_COUNT, as the deployed-shape test does): moto
  authorizes most services against the resource "*" and denies outright any statement with a
  Condition it cannot read. Here identity policies are evaluated as AWS does: each request's
  resource ARN is derived from its parameters (EKS, SNS, DynamoDB, Secrets Manager, Lambda, ECR;
  S3 and SQS already do), the condition keys the stack uses are read from the request
  (`dynamodb:LeadingKeys`, `s3:prefix`), a statement applies only when action, resource and
  conditions all match, an explicit Deny wins. Every refusal is logged to stderr naming the
  principal, action and resource. sns:Publish also evaluates the topic's policy (as AWS does for
  a same-account caller: a Deny in either refuses, an Allow in either grants), and
  POST /moto-api/mcp-ops/publish-as-service publishes as an AWS service (CloudWatch for an alarm)
  through the topic's policy and its KMS key's policy, refusing by name what they do not allow.
- SES v2: a verified identity may send (VerifiedForSendingStatus), and GetAccount answers the
  sandbox status, set by GET|PUT /moto-api/mcp-ops/ses-account (moto has no GetAccount).
- werkzeug's log line per request is turned off: at thousands of requests a second it cost a
  quarter of the server's time.
"""

import functools
import json
import logging
import os
import re
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.eks.models import Cluster
from moto.server import main

_LOCK = threading.RLock()
_SERIALIZED = (
    "put_item",
    "update_item",
    "delete_item",
    "get_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
)


def _serialized(method):
    @functools.wraps(method)
    def run(*args, **kwargs):
        with _LOCK:
            return method(*args, **kwargs)

    return run


for _name in _SERIALIZED:
    if hasattr(DynamoDBBackend, _name):
        setattr(DynamoDBBackend, _name, _serialized(getattr(DynamoDBBackend, _name)))

_EKS_CLUSTERS = json.loads(os.environ.get("MCP_MOTO_EKS_CLUSTERS", "{}"))
_cluster_init = Cluster.__init__


def _cluster_with_local_endpoint(self, *args, **kwargs):
    _cluster_init(self, *args, **kwargs)
    local = _EKS_CLUSTERS.get(self.name)
    if local:
        self.endpoint = local["endpoint"]
        self.certificate_authority = {"data": local["ca"]}


Cluster.__init__ = _cluster_with_local_endpoint

# ---- SES: the messages moto accepted, for tests to read back ------------------------------------
# moto keeps sent mail inside the server process only; GET /moto-api/mcp-ops/ses-sent answers every
# raw and simple message of every account and region: id, source, destinations, raw (MIME) or body.
from moto.moto_api._internal import urls as _moto_api_urls  # noqa: E402
from moto.ses.models import ses_backends  # noqa: E402


def _ses_sent(request, full_url, headers):
    sent = []
    for account, regions in ses_backends.items():
        for region, backend in regions.items():
            for message in backend.sent_messages:
                sent.append(
                    {
                        "account": account,
                        "region": region,
                        "id": message.id,
                        "source": getattr(message, "source", None),
                        "destinations": getattr(message, "destinations", None),
                        "raw": getattr(message, "raw_data", None),
                        "subject": getattr(message, "subject", None),
                        "body": getattr(message, "body", None),
                    }
                )
    return 200, {"Content-Type": "application/json"}, json.dumps(sent)


_moto_api_urls.url_paths["{0}/moto-api/mcp-ops/ses-sent$"] = _ses_sent

# ---- SES v2: what AWS answers and moto does not ---------------------------------------------------
# moto marks a new identity verified (VerificationStatus SUCCESS) yet says it may not send; AWS says
# both once verified. GetAccount is missing: it answers the account's sandbox status, out of the
# sandbox unless PUT /moto-api/mcp-ops/ses-account {"productionAccessEnabled": false} said otherwise.
from moto.ses.models import EmailIdentity  # noqa: E402
from moto.sesv2 import urls as _sesv2_urls  # noqa: E402
from moto.sesv2.responses import SESV2Response  # noqa: E402

_ORIGINAL_IDENTITY_INIT = EmailIdentity.__init__


def _identity_init(self, *args, **kwargs):
    _ORIGINAL_IDENTITY_INIT(self, *args, **kwargs)
    self.verified_for_sending_status = self.verification_status == "SUCCESS"


EmailIdentity.__init__ = _identity_init

_SES_ACCOUNT = {"ProductionAccessEnabled": True}


def _get_account(self):
    return json.dumps(
        {
            "ProductionAccessEnabled": _SES_ACCOUNT["ProductionAccessEnabled"],
            "SendingEnabled": True,
            "EnforcementStatus": "HEALTHY",
            "DedicatedIpAutoWarmupEnabled": False,
        }
    )


SESV2Response.get_account = _get_account
_sesv2_urls.url_paths["{0}/v2/email/account$"] = SESV2Response.dispatch


def _ses_account(request, full_url, headers):
    if request.method == "PUT":
        body = json.loads(request.data or b"{}")
        _SES_ACCOUNT["ProductionAccessEnabled"] = bool(body.get("productionAccessEnabled", True))
    return 200, {"Content-Type": "application/json"}, json.dumps(_SES_ACCOUNT)


_moto_api_urls.url_paths["{0}/moto-api/mcp-ops/ses-account$"] = _ses_account

# ---- IAM: resources of the requests -------------------------------------------------------------
from urllib.parse import unquote  # noqa: E402

from moto.awslambda.responses import LambdaResponse  # noqa: E402
from moto.dynamodb.responses import DynamoHandler  # noqa: E402
from moto.ecr.responses import ECRResponse  # noqa: E402
from moto.eks.responses import EKSResponse  # noqa: E402
from moto.iam.access_control import IAMPolicy, IAMRequestBase  # noqa: E402
from moto.secretsmanager.responses import SecretsManagerResponse  # noqa: E402
from moto.sns.responses import SNSResponse  # noqa: E402


def _arn(response, service, resource):
    return f"arn:aws:{service}:{response.region}:{response.current_account}:{resource}"


def _body_json(response):
    if isinstance(response.body, dict):
        return response.body
    try:
        return json.loads(response.body or "{}")
    except (ValueError, TypeError):
        return {}


def _eks_resource(self):
    parts = self.path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "clusters":
        return _arn(self, "eks", f"cluster/{unquote(parts[1])}")
    return "*"


def _sns_resource(self):
    return self._get_param("TopicArn") or self._get_param("TargetArn") or "*"


def _dynamodb_tables(body):
    names = []
    if "TableName" in body:
        names.append(body["TableName"])
    for item in body.get("TransactItems", []):
        for op in item.values():
            if isinstance(op, dict) and "TableName" in op:
                names.append(op["TableName"])
    for key in ("RequestItems",):
        names.extend(body.get(key, {}).keys())
    return names


def _dynamodb_resource(self):
    body = _body_json(self)
    tables = sorted(set(_dynamodb_tables(body)))
    if len(tables) != 1:
        return "*"
    resource = f"table/{tables[0]}"
    if body.get("IndexName"):
        resource += f"/index/{body['IndexName']}"
    return _arn(self, "dynamodb", resource)


def _secret_resource(self):
    secret_id = _body_json(self).get("SecretId", "")
    if secret_id.startswith("arn:"):
        return secret_id
    try:
        return self.backend.describe_secret(secret_id).arn
    except Exception:  # noqa: BLE001
        return "*"


def _lambda_resource(self):
    parts = self.path.strip("/").split("/")
    if "functions" in parts and parts.index("functions") + 1 < len(parts):
        name = unquote(parts[parts.index("functions") + 1])
        return name if name.startswith("arn:") else _arn(self, "lambda", f"function:{name}")
    return "*"


def _ecr_resource(self):
    name = _body_json(self).get("repositoryName")
    return _arn(self, "ecr", f"repository/{name}") if name else "*"


EKSResponse._determine_resource = _eks_resource
SNSResponse._determine_resource = _sns_resource
DynamoHandler._determine_resource = _dynamodb_resource
SecretsManagerResponse._determine_resource = _secret_resource
LambdaResponse._determine_resource = _lambda_resource
ECRResponse._determine_resource = _ecr_resource

# ---- IAM: identity policies evaluated as AWS does -----------------------------------------------


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _glob(pattern, value):
    return re.match("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", value) is not None


def _hash_key(request, table_name):
    from moto.dynamodb.models import dynamodb_backends

    try:
        return dynamodb_backends[request.account_id][request._region].get_table(table_name).hash_key_attr
    except Exception:  # noqa: BLE001
        return None


def _leading_keys(request):
    """The partition-key values a DynamoDB request touches (what `dynamodb:LeadingKeys` means)."""
    try:
        body = json.loads(request._body or b"{}")
    except (ValueError, TypeError):
        return None
    keys = []

    def take(table, item):
        attr = _hash_key(request, table) if table else None
        if attr and isinstance(item, dict) and isinstance(item.get(attr), dict):
            keys.extend(str(v) for v in item[attr].values())

    table = body.get("TableName")
    take(table, body.get("Key"))
    take(table, body.get("Item"))
    for entry in body.get("TransactItems", []):
        for op in entry.values():
            if isinstance(op, dict):
                take(op.get("TableName"), op.get("Key"))
                take(op.get("TableName"), op.get("Item"))
    return keys or None


def _context(request):
    context = {}
    data = request._data or {}
    prefix = data.get("prefix")
    if prefix is not None:
        context["s3:prefix"] = _as_list(prefix)
    if request._action.startswith("dynamodb:"):
        keys = _leading_keys(request)
        if keys is not None:
            context["dynamodb:LeadingKeys"] = keys
    return {k.lower(): v for k, v in context.items()}


_OPERATORS = {
    "Null": None,  # evaluated in _condition_holds: whether the key is absent
    "StringEquals": lambda want, have: have == want,
    "StringLike": lambda want, have: _glob(want, have),
    "StringNotEquals": lambda want, have: have != want,
    "StringNotLike": lambda want, have: not _glob(want, have),
    "ArnEquals": lambda want, have: have == want,
    "ArnLike": lambda want, have: _glob(want, have),
    "Bool": lambda want, have: str(have).lower() == str(want).lower(),
}


def _condition_holds(operator, key, wanted, context):
    if_exists = operator.endswith("IfExists")
    operator = operator[: -len("IfExists")] if if_exists else operator
    quantifier = None
    if ":" in operator:
        quantifier, operator = operator.split(":", 1)
    if operator == "Null":
        absent = context.get(key.lower()) is None
        return any(absent == (str(w).lower() == "true") for w in _as_list(wanted))
    test = _OPERATORS.get(operator)
    if test is None:
        print(f"mcp-ops-iam: condition operator {operator} not evaluated; statement not applied", file=sys.stderr)
        return False
    have = context.get(key.lower())
    if have is None:
        return if_exists or quantifier == "ForAllValues"
    wanted = _as_list(wanted)
    have = _as_list(have)
    # A negated operator holds when the value matches none of the listed values (AWS: "not equal to
    # any of them"), not when it differs from one of them.
    negated = operator.startswith(("StringNot", "ArnNot"))
    matches = [(all if negated else any)(test(w, h) for w in wanted) for h in have]
    if quantifier == "ForAllValues":
        return all(matches)
    return any(matches)


def _statement_applies(statement, action, resource, context):
    def matches(element, value):
        return any(_glob(p.lower() if element.endswith("Action") else p, value) for p in _as_list(statement[element]))

    if "Action" in statement and not matches("Action", action.lower()):
        return False
    if "NotAction" in statement and matches("NotAction", action.lower()):
        return False
    if "Resource" in statement and not matches("Resource", resource):
        return False
    if "NotResource" in statement and matches("NotResource", resource):
        return False
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, wanted in pairs.items():
            if not _condition_holds(operator, key, wanted, context):
                return False
    return True


_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _ses_send(request):
    """SES authorizes SendEmail on the identity that covers the sender and on the configuration set."""
    try:
        body = json.loads(request._body or b"{}")
    except (ValueError, TypeError):
        body = {}
    sender = body.get("FromEmailAddress", "")
    address = sender.split("<")[-1].rstrip(">").strip()
    known = ses_backends[request.account_id][request._region].email_identities
    identity = address if address in known else address.split("@", 1)[-1]
    arn = f"arn:aws:ses:{request._region}:{request.account_id}"
    subs = [(request._action, f"{arn}:identity/{identity}", _context(request))]
    if body.get("ConfigurationSetName"):
        subs.append((request._action, f"{arn}:configuration-set/{body['ConfigurationSetName']}", _context(request)))
    return subs


def _sub_requests(request, resource):
    """DynamoDB authorizes a transaction or batch as its items' own actions, each on its table."""
    if request._action == "ses:SendEmail":
        return _ses_send(request)
    if request._action not in (
        "dynamodb:TransactWriteItems",
        "dynamodb:TransactGetItems",
        "dynamodb:BatchWriteItem",
        "dynamodb:BatchGetItem",
    ):
        return [(request._action, resource, _context(request))]
    try:
        body = json.loads(request._body or b"{}")
    except (ValueError, TypeError):
        return [(request._action, resource, _context(request))]
    arn = lambda table: f"arn:aws:dynamodb:{request._region}:{request.account_id}:table/{table}"  # noqa: E731
    subs = []

    def add(action, table, item):
        attr = _hash_key(request, table)
        keys = [str(v) for v in item.get(attr, {}).values()] if attr and isinstance(item, dict) else []
        subs.append((f"dynamodb:{action}", arn(table), {"dynamodb:leadingkeys": keys} if keys else {}))

    for entry in body.get("TransactItems", []):
        for kind, op in entry.items():
            add(_TRANSACT_ACTIONS.get(kind, kind), op.get("TableName"), op.get("Key") or op.get("Item"))
    for table, ops in body.get("RequestItems", {}).items():
        if isinstance(ops, dict):  # BatchGetItem
            for key in ops.get("Keys", []):
                add("GetItem", table, key)
        else:
            for op in ops:
                if "PutRequest" in op:
                    add("PutItem", table, op["PutRequest"].get("Item"))
                if "DeleteRequest" in op:
                    add("DeleteItem", table, op["DeleteRequest"].get("Key"))
    return subs or [(request._action, resource, _context(request))]


# ---- Resource policies: SNS topic policies and KMS key policies, as AWS evaluates them ---------
from moto.kms.models import kms_backends  # noqa: E402
from moto.sns.models import sns_backends  # noqa: E402


def _principal_matches(statement, principal):
    """`principal`: {"arn": role or user ARN, "account": id} or {"service": name}."""
    wanted = statement.get("Principal")
    if wanted == "*":
        return True
    if not isinstance(wanted, dict):
        return False
    if "service" in principal:
        return principal["service"] in _as_list(wanted.get("Service"))
    for p in _as_list(wanted.get("AWS")):
        if p == "*" or p == principal["arn"] or p in (principal["account"], f"arn:aws:iam::{principal['account']}:root"):
            return True
    return False


def _resource_effects(policy, principal, action, resource, context):
    effects = []
    for statement in _as_list((policy or {}).get("Statement", [])):
        if not _principal_matches(statement, principal):
            continue
        if _statement_applies({k: v for k, v in statement.items() if k != "Principal"}, action, resource, context):
            effects.append(statement.get("Effect"))
    return effects


def _topic(arn):
    parts = arn.split(":")
    if len(parts) < 6:
        return None
    return sns_backends[parts[4]][parts[3]].topics.get(arn)


def _role_arn(caller_arn):
    """The role of an assumed-role session (what aws:PrincipalArn names), else the ARN itself."""
    m = re.match(r"^arn:aws:sts::(\d{12}):assumed-role/([^/]+)/", caller_arn)
    return f"arn:aws:iam::{m.group(1)}:role/{m.group(2)}" if m else caller_arn


def _service_publish(request, full_url, headers):
    """POST /moto-api/mcp-ops/publish-as-service: an AWS service (CloudWatch for an alarm) publishes
    to a topic as it would on AWS, through the topic's policy and its key's policy. JSON body:
    service, sourceAccount, sourceArn, topicArn, message, subject."""
    body = json.loads(request.data or b"{}")
    topic = _topic(body["topicArn"])
    if topic is None:
        return 404, {}, json.dumps({"error": "no such topic"})
    principal = {"service": body["service"]}
    context = {
        "aws:sourceaccount": body["sourceAccount"],
        "aws:sourcearn": body["sourceArn"],
        "aws:principalservicename": body["service"],
        # Services reach SNS and KMS over TLS; the emulator's plain HTTP is not what they use.
        "aws:securetransport": "true",
    }
    checks = [("sns:Publish", body["topicArn"], topic._policy_json)]
    key_id = topic.kms_master_key_id
    if key_id:
        parts = body["topicArn"].split(":")
        key = kms_backends[parts[4]][parts[3]].describe_key(key_id)
        key_context = dict(context, **{"kms:viaservice": f"sns.{parts[3]}.amazonaws.com"})
        checks.append(("kms:GenerateDataKey", key.arn, json.loads(key.policy), key_context))
    for check in checks:
        action, resource, policy = check[:3]
        ctx = check[3] if len(check) > 3 else context
        effects = _resource_effects(policy, principal, action, resource, ctx)
        if "Deny" in effects or "Allow" not in effects:
            print(f"mcp-ops-iam: DENY service {body['service']} {action} on {resource} (resource policy) context={ctx}", file=sys.stderr, flush=True)
            return 403, {"Content-Type": "application/json"}, json.dumps({"denied": action, "resource": resource})
    parts = body["topicArn"].split(":")
    message_id = sns_backends[parts[4]][parts[3]].publish(body["message"], arn=body["topicArn"], subject=body.get("subject"))
    return 200, {"Content-Type": "application/json"}, json.dumps({"messageId": message_id})


_moto_api_urls.url_paths["{0}/moto-api/mcp-ops/publish-as-service$"] = _service_publish


def _allowed(policies, action, resource, context):
    effects = [
        statement.get("Effect")
        for policy in policies
        for statement in _as_list(IAMPolicy(policy)._policy_json.get("Statement", []))
        if _statement_applies(statement, action, resource, context)
    ]
    return "Allow" in effects and "Deny" not in effects


def _check_action_permitted(self, resource):
    if self._action == "sts:GetCallerIdentity":
        return
    if self._is_assuming_role_operation(resource):
        # Trust policies keep moto's own evaluation.
        return _ORIGINAL_CHECK(self, resource)
    policies = self._access_key.collect_policies()
    for action, target, context in _sub_requests(self, resource):
        if action == "sns:Publish" and _topic(target) is not None:
            # Identity and topic policy together, as AWS evaluates a same-account request: an
            # explicit Deny in either refuses; an Allow in either grants.
            caller = self._access_key.arn
            principal = {"arn": _role_arn(caller), "account": self._access_key.account_id}
            ctx = dict(context, **{"aws:principalarn": _role_arn(caller), "aws:securetransport": "true"})
            identity = [
                st.get("Effect")
                for policy in policies
                for st in _as_list(IAMPolicy(policy)._policy_json.get("Statement", []))
                if _statement_applies(st, action, target, ctx)
            ]
            resource_effects = _resource_effects(_topic(target)._policy_json, principal, action, target, ctx)
            effects = identity + resource_effects
            if "Deny" in effects or "Allow" not in effects:
                why = " (resource policy)" if "Deny" in resource_effects else ""
                print(
                    f"mcp-ops-iam: DENY {caller} {action} on {target}{why} context={ctx}",
                    file=sys.stderr,
                    flush=True,
                )
                self._raise_access_denied()
            continue
        if not _allowed(policies, action, target, context):
            print(
                f"mcp-ops-iam: DENY {self._access_key.arn} {action} on {target} context={context}",
                file=sys.stderr,
                flush=True,
            )
            self._raise_access_denied()


_ORIGINAL_CHECK = IAMRequestBase.check_action_permitted
IAMRequestBase.check_action_permitted = _check_action_permitted

logging.getLogger("werkzeug").setLevel(logging.WARNING)

if __name__ == "__main__":
    main(sys.argv[1:])
