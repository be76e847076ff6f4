import { Type } from 'typebox';
import type { JsonObject } from '../../engine/types.js';
import { ClientRef } from './client-schemas.js';

/**
 * The predefined event paths of the 001 document (`POST /v4/events/<path>`) and the action each
 * records, spelled as Synerise names them, so that a rule written against the vendor's action
 * finds the same events here (the core normalizes `product.addToCart` to `product_add_to_cart`).
 */
export const PREDEFINED_EVENTS: Record<string, { action: string; summary: string }> = {
  'application-started': { action: 'client.applicationStarted', summary: 'Application started' },
  registered: { action: 'client.register', summary: 'Profile account registered' },
  'logged-in': { action: 'client.login', summary: 'Profile logged in' },
  'logged-out': { action: 'client.logout', summary: 'Profile logged out' },
  'added-to-cart': { action: 'product.addToCart', summary: 'Item added to cart' },
  'removed-from-cart': { action: 'product.removeFromCart', summary: 'Item removed from cart' },
  'added-to-favorites': { action: 'product.addToFavorite', summary: 'Product added to favorites' },
  'product-view': { action: 'product.view', summary: 'Item viewed' },
  'assigned-to-company': {
    action: 'client.assignedToCompany',
    summary: 'Profile assigned to company',
  },
  'appeared-in-location': { action: 'client.location', summary: 'Profile logged location' },
  'push/received': { action: 'push.receive', summary: 'Push notification received' },
  'push/viewed': { action: 'push.view', summary: 'Push notification viewed' },
  'push/clicked': { action: 'push.click', summary: 'Push notification clicked' },
  'push/cancelled': { action: 'push.cancel', summary: 'Push notifications cancelled' },
  'cancelled-transaction': { action: 'transaction.cancel', summary: 'Transaction cancelled' },
  'hit-timer': { action: 'client.hitTimer', summary: 'Timer hit' },
  searched: { action: 'client.search', summary: 'Search requested' },
  shared: { action: 'client.shared', summary: 'Content shared' },
  'recommendation-seen': {
    action: 'recommendation.seen',
    summary: 'Recommendation viewed (deprecated)',
  },
  'recommendation-click': {
    action: 'recommendation.click',
    summary: 'Recommendation clicked (deprecated)',
  },
  'visited-screen': { action: 'screen.view', summary: 'Mobile app screen visited' },
  'recommendation-view': { action: 'recommendation.view', summary: 'Recommendation viewed' },
  'item-search-click': { action: 'item.search.click', summary: 'Search result clicked' },
};

/** The action a transaction records. */
export const TRANSACTION_ACTION = 'transaction.charge';

const Salt = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Idempotency key: an event with a salt already applied is not applied again',
});
const Time = Type.String({ format: 'date-time', description: 'When it happened (ISO 8601)' });
const Params = Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Unknown());

const eventFields = {
  label: Type.Optional(Type.String({ maxLength: 500 })),
  client: ClientRef,
  time: Type.Optional(Time),
  params: Type.Optional(Params),
  eventSalt: Type.Optional(Salt),
};
const Action = Type.String({ minLength: 1, maxLength: 200 });

/** A predefined event: the action comes from the path. */
export const PredefinedEventBody = Type.Object(
  { ...eventFields, action: Type.Optional(Action) },
  { additionalProperties: false, title: 'Event' },
);
/** A custom event, or an item of a batch: the action comes from the body. */
export const CustomEventBody = Type.Object(
  { ...eventFields, action: Action },
  { additionalProperties: false, title: 'Custom event' },
);

const Money = Type.Object({
  amount: Type.Number(),
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR' }),
});

export const TransactionBody = Type.Object(
  {
    client: ClientRef,
    orderId: Type.String({ minLength: 1, maxLength: 200 }),
    products: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 1000 }),
    value: Money,
    revenue: Type.Optional(Money),
    discountAmount: Type.Optional(Money),
    recordedAt: Type.Optional(Time),
    paymentInfo: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    source: Type.Optional(Type.String({ maxLength: 100 })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    eventSalt: Type.Optional(Salt),
  },
  { additionalProperties: false, title: 'Transaction' },
);

export interface EventInput {
  action?: string;
  label?: string;
  client: { clientId?: string; customId?: string; uuid?: string; email?: string };
  time?: string;
  params?: Record<string, unknown>;
  eventSalt?: string;
}

export interface TransactionInput {
  client: EventInput['client'];
  orderId: string;
  products: Array<Record<string, unknown>>;
  value: { amount: number; currency: string };
  revenue?: { amount: number; currency: string };
  discountAmount?: { amount: number; currency: string };
  recordedAt?: string;
  paymentInfo?: Record<string, unknown>;
  source?: string;
  metadata?: Record<string, unknown>;
  eventSalt?: string;
}

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as JsonObject;

/** An event of the dialect as a canonical `track` event (the core validates it). */
export function rawEvent(body: EventInput, action: string): JsonObject {
  return defined({
    type: 'track',
    event: action,
    messageId: body.eventSalt,
    timestamp: body.time,
    properties: defined({ ...(body.params ?? {}), label: body.label }),
  });
}

/**
 * A transaction as a `transaction.charge` event. Without an eventSalt the orderId is the
 * idempotency key: an order sent twice (a retried batch) is recorded once.
 */
export function rawTransaction(body: TransactionInput): JsonObject {
  return defined({
    type: 'track',
    event: TRANSACTION_ACTION,
    messageId: body.eventSalt ?? `transaction:${body.orderId}`,
    timestamp: body.recordedAt,
    properties: defined({
      orderId: body.orderId,
      products: body.products,
      value: body.value,
      revenue: body.revenue,
      discountAmount: body.discountAmount,
      paymentInfo: body.paymentInfo,
      source: body.source,
      metadata: body.metadata,
    }),
  });
}
