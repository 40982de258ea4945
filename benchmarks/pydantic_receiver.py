"""The receiver a FastAPI user would write with pydantic v2, for the benchmark to compare with.

Two variants, both taking the raw body (``validate_json``, pydantic's fastest way) and accepting
either wire form (camelCase aliases, ``validate_by_name`` for snake_case):

- ``plain``: a discriminated union of the six calls on ``type``, with the common fields typed
  (ids, the four timestamps as datetimes, context and integrations as dicts);
- ``events``: the same, with an Order Completed track whose ``properties`` is a model of the
  spec's Order Completed properties and products, chosen by a callable discriminator on
  ``type`` and ``event``.

Both do less than ``segment_spec.check``: no snake_case of nested keys beyond the models'
aliases, no identity rule (user_id or anonymous_id), no warnings, no reply to send.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter
from pydantic.alias_generators import to_camel

__all__ = ["events_receiver", "plain_receiver"]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="allow"
    )


class _Common(_Model):
    message_id: str | None = None
    user_id: str | int | None = None
    anonymous_id: str | int | None = None
    timestamp: datetime | None = None
    sent_at: datetime | None = None
    received_at: datetime | None = None
    original_timestamp: datetime | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    integrations: dict[str, Any] = Field(default_factory=dict)


class Identify(_Common):
    type: Literal["identify"]
    traits: dict[str, Any] = Field(default_factory=dict)


class Track(_Common):
    type: Literal["track"]
    event: str
    properties: dict[str, Any] = Field(default_factory=dict)


class Page(_Common):
    type: Literal["page"]
    name: str | None = None
    category: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class Screen(_Common):
    type: Literal["screen"]
    name: str | None = None
    category: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class Group(_Common):
    type: Literal["group"]
    group_id: str | int
    traits: dict[str, Any] = Field(default_factory=dict)


class Alias(_Common):
    type: Literal["alias"]
    previous_id: str | int


class Product(_Model):
    product_id: str | None = None
    sku: str | None = None
    category: str | None = None
    name: str | None = None
    brand: str | None = None
    variant: str | None = None
    price: float | None = None
    quantity: int | None = None
    coupon: str | None = None
    position: int | None = None
    url: str | None = None
    image_url: str | None = None


class OrderCompletedProperties(_Model):
    checkout_id: str | None = None
    order_id: str | None = None
    affiliation: str | None = None
    total: float | None = None
    subtotal: float | None = None
    revenue: float | None = None
    shipping: float | None = None
    tax: float | None = None
    discount: float | None = None
    coupon: str | None = None
    currency: str | None = None
    products: list[Product] = Field(default_factory=list)


class OrderCompleted(Track):
    event: Literal["Order Completed"]
    properties: OrderCompletedProperties = Field(default_factory=OrderCompletedProperties)


def _tag(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if kind == "track":
        event = value.get("event") if isinstance(value, dict) else getattr(value, "event", None)
        if event == "Order Completed":
            return "order-completed"
    return kind if isinstance(kind, str) else None


_Plain = Annotated[Identify | Track | Page | Screen | Group | Alias, Field(discriminator="type")]
_WithEvents = Annotated[
    Annotated[Identify, Tag("identify")]
    | Annotated[Track, Tag("track")]
    | Annotated[OrderCompleted, Tag("order-completed")]
    | Annotated[Page, Tag("page")]
    | Annotated[Screen, Tag("screen")]
    | Annotated[Group, Tag("group")]
    | Annotated[Alias, Tag("alias")],
    Discriminator(_tag),
]

plain_receiver: TypeAdapter[Any] = TypeAdapter(_Plain)
"""The plain model: ``plain_receiver.validate_json(body)``."""
events_receiver: TypeAdapter[Any] = TypeAdapter(_WithEvents)
"""The model with the Order Completed event: ``events_receiver.validate_json(body)``."""
