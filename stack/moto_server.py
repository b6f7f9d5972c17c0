"""moto's server for the local stack, with two changes that make it behave like the real thing.

- DynamoDB: a conditional write is atomic in DynamoDB. moto's threaded server checks the condition
  and applies the write without a lock, so two concurrent requests can both pass `attribute_not_exists`
  (seen as a page sent twice under an alert storm). Every DynamoDB backend operation is serialized.
- werkzeug's log line per request is turned off: at thousands of requests a second it cost a
  quarter of the server's time.
"""

import functools
import logging
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend
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

logging.getLogger("werkzeug").setLevel(logging.WARNING)

if __name__ == "__main__":
    main(sys.argv[1:])
