"""A Segment Direct destination beside a Flask app: ``waitress-serve flask_receiver:app``.

Segment posts to ``/segment``; the rest of the app is yours.
"""

import logging
import os

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from segment_spec import Accepted, Delivery, Destination, Message

log = logging.getLogger("receiver")
destination = Destination(set(os.environ.get("SEGMENT_API_KEYS", "segment").split(",")))


@destination.on("track", "identify", "page", "screen", "group", "alias")
def handle(message: Message, delivery: Delivery) -> Accepted:
    log.info("queued %s %s", message.type, message.message_id)
    return Accepted()  # 202: taken, processed later


app = Flask(__name__)
segment = DispatcherMiddleware(app.wsgi_app, {"/segment": destination.wsgi()})
app.wsgi_app = segment  # type: ignore[method-assign]
