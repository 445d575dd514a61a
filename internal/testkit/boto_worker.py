"""A long-lived boto3 worker for Ersatz's Go tests.

Reads one JSON request per line on stdin and answers one JSON line on stdout:
  {"service": "qapps", "op": "CreateQApp", "params": {...}, "access_key": "...",
   "region": "us-east-1", "minimal": false, "no_validation": false}
  -> {"ok": {...response without ResponseMetadata...}}
  or {"error": {"code": "...", "message": "...", "status": 400, "body": {...}}}
With "minimal": true the worker builds the smallest input the model allows
(every required member filled with a plausible value) and merges params over it.
"""
import json
import os
import sys

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

ENDPOINT = os.environ["ERSATZ_ENDPOINT"]
session = botocore.session.get_session()
clients = {}


def client(service, access_key, region, validation):
    key = (service, access_key, region, validation)
    if key not in clients:
        clients[key] = session.create_client(
            service,
            region_name=region,
            endpoint_url=ENDPOINT,
            aws_access_key_id=access_key,
            aws_secret_access_key="secret",
            config=Config(parameter_validation=validation, retries={"max_attempts": 1}),
        )
    return clients[key]


def sample(shape, depth=0):
    t = shape.type_name
    if t == "structure":
        out = {}
        if depth > 6:
            return out
        members = shape.members
        if shape.metadata.get("union"):
            name = sorted(members)[0]
            return {name: sample(members[name], depth + 1)}
        for name in shape.required_members:
            out[name] = sample(members[name], depth + 1)
        return out
    if t == "list":
        return []
    if t == "map":
        return {}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        n = shape.metadata.get("min", 1)
        return "x" * max(int(n), 1)
    if t in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if t in ("float", "double"):
        return 1.0
    if t == "boolean":
        return False
    if t == "blob":
        return b"x"
    if t == "timestamp":
        return 0
    return None


def handle(req):
    svc = req["service"]
    c = client(svc, req.get("access_key", "AKIDEXAMPLE"), req.get("region", "us-east-1"),
               not req.get("no_validation", False))
    op_model = c.meta.service_model.operation_model(req["op"])
    params = {}
    if req.get("minimal") and op_model.input_shape is not None:
        params = sample(op_model.input_shape)
    params.update(req.get("params") or {})
    method = getattr(c, botocore.xform_name(req["op"]))
    try:
        out = method(**params)
    except ClientError as e:
        err = e.response.get("Error", {})
        return {"error": {"code": err.get("Code"), "message": err.get("Message"),
                          "status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                          "body": {k: v for k, v in e.response.items() if k not in ("Error", "ResponseMetadata")}}}
    except ParamValidationError as e:
        return {"error": {"code": "ParamValidationError", "message": str(e), "status": 0}}
    out.pop("ResponseMetadata", None)
    for k, v in list(out.items()):
        if hasattr(v, "read"):  # a streaming body (S3 GetObject): its bytes as Latin-1 text
            out[k] = v.read().decode("latin-1")
    return {"ok": out}


for line in sys.stdin:
    try:
        resp = handle(json.loads(line))
    except Exception as e:  # report, keep serving
        resp = {"error": {"code": "WorkerError", "message": "%s: %s" % (type(e).__name__, e), "status": -1}}
    sys.stdout.write(json.dumps(resp, default=str) + "\n")
    sys.stdout.flush()
