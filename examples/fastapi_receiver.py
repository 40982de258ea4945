"""A Segment Direct destination inside a FastAPI app: ``uvicorn fastapi_receiver:app``.

Segment posts to ``/segment/``; the rest of the app is yours.
"""

import logging
import os

from fastapi import FastAPI

from segment_spec import Delivery, Destination, Identify, Track

log = logging.getLogger("receiver")
destination = Destination(set(os.environ.get("SEGMENT_API_KEYS", "segment").split(",")))


@destination.on("track")
async def track(message: Track, delivery: Delivery) -> None:
    log.info("track %s %s", message.event, message.properties)


@destination.on("identify")
async def identify(message: Identify, delivery: Delivery) -> None:
    log.info("identify %s %s", message.user_id, message.traits)


app = FastAPI()
app.mount("/segment", destination.asgi())
