import { Type } from 'typebox';

/**
 * Route schemas of the Segment-compatible tracking API. They only shape the envelope (and
 * document it at /openapi.json); the events themselves are checked by the engine, like every
 * other surface's.
 */
export const BatchBody = Type.Object(
  {
    batch: Type.Array(Type.Unknown(), {
      description: 'identify, track, page, screen, group and alias calls, each with its `type`.',
    }),
    sentAt: Type.Optional(
      Type.Unknown({ description: 'When the batch was sent; for events that carry no sentAt.' }),
    ),
    context: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: "Merged under each event's own context.",
        },
      ),
    ),
    writeKey: Type.Optional(
      Type.String({ description: 'The write key, when it is not in the Authorization header.' }),
    ),
  },
  { additionalProperties: true },
);

export const CallBody = Type.Object(
  {},
  {
    additionalProperties: true,
    description: 'One Segment-spec event; its type is the one in the path. May carry `writeKey`.',
  },
);

export const SuccessResponse = Type.Object({ success: Type.Literal(true) });
