"""A Segment Direct destination served by uvicorn: segment_spec.Destination as a plain ASGI app.

Run it (keys from the SEGMENT_API_KEYS environment variable, comma-separated)::

    pip install 'segment-spec[examples]'
    SEGMENT_API_KEYS=segment python examples/receiver.py --port 8443 \\
        --ssl-certfile cert.pem --ssl-keyfile key.pem

then grade it: ``segment-spec conformance https://127.0.0.1:8443/ --api-key segment --cacert
ca.pem``. The Destination does the whole contract (401, 400, 501, de-duplication by
message_id); the handler is where a real destination does its work.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterable
from typing import Any

import segment_spec
from segment_spec import CALL_TYPES, Delivery, Destination, Message

log = logging.getLogger("receiver")


def make_app(keys: Iterable[str], supported: Iterable[str] | None = None) -> Any:
    """The ASGI app: a destination for ``keys`` handling ``supported`` (None: all six calls)."""
    dest = Destination(set(keys), supported=supported)

    @dest.on(*CALL_TYPES)
    def handle(message: Message, delivery: Delivery) -> None:
        log.info("%s %s", message.type, message.message_id)

    return dest.asgi()


def main(argv: list[str] | None = None) -> None:
    """Serve the receiver with uvicorn; keys come from SEGMENT_API_KEYS."""
    import uvicorn

    parser = argparse.ArgumentParser(description="An example Segment Direct destination.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ssl-certfile", help="the server certificate (PEM); enables HTTPS")
    parser.add_argument("--ssl-keyfile", help="the certificate's private key (PEM)")
    parser.add_argument("--supported", action="append", choices=segment_spec.CALL_TYPES)
    args = parser.parse_args(argv)
    keys = [key.strip() for key in os.environ.get("SEGMENT_API_KEYS", "").split(",")]
    if not any(keys):
        parser.error("set SEGMENT_API_KEYS to the API keys to accept (comma-separated)")
    app = make_app([key for key in keys if key], args.supported)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )


if __name__ == "__main__":
    main()
