import { Type } from 'typebox';
import type { LinkedDevice, Note, Tag } from '../../modules/annotations/annotation-types.js';
import { iso } from '../native/native-presenters.js';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Subject = Type.Union([Type.String({ maxLength: 200 }), Type.Null()]);

export const NoteParams = Type.Object({ clientId: Id, noteId: Id });
export const NoteCreateBody = Type.Object(
  { subject: Type.Optional(Subject), content: Type.String({ minLength: 1, maxLength: 10_000 }) },
  { additionalProperties: false },
);
export const NoteUpdateBody = Type.Object(
  {
    subject: Type.Optional(Subject),
    content: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
  },
  { additionalProperties: false },
);
export const NoteView = Type.Object({
  noteId: Type.String(),
  clientId: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  content: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export function presentNote(note: Note) {
  return {
    noteId: note.id,
    clientId: note.profileId,
    subject: note.subject,
    content: note.content,
    createdAt: iso(note.createdAt),
    updatedAt: iso(note.updatedAt),
  };
}

const OptionalText = Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()]));

/**
 * A device as the mobile and web SDKs describe it. `registrationId` is Synerise's name for the
 * push token (`pushToken` is accepted too); `manufacturer` and `osVersion`, which the core keeps
 * no column for, travel in `attributes`.
 */
export const DeviceBody = Type.Object(
  {
    deviceId: Id,
    type: Type.Optional(
      Type.String({ enum: ['web', 'ios', 'android', 'other'], description: 'Default: other' }),
    ),
    registrationId: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
    pushToken: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
    name: OptionalText,
    manufacturer: Type.Optional(Type.String({ maxLength: 200 })),
    model: OptionalText,
    os: OptionalText,
    osVersion: Type.Optional(Type.String({ maxLength: 200 })),
    attributes: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const DeviceView = Type.Object({
  deviceId: Type.String(),
  clientId: Type.String(),
  type: Type.String(),
  registrationId: Type.Union([Type.String(), Type.Null()]),
  pushChannel: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  os: Type.Union([Type.String(), Type.Null()]),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  linkedAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
});

export function presentDevice(device: LinkedDevice) {
  return {
    deviceId: device.deviceId,
    clientId: device.profileId,
    type: device.type,
    registrationId: device.pushToken,
    pushChannel: device.pushChannel,
    name: device.name,
    model: device.model,
    os: device.os,
    attributes: device.attributes,
    linkedAt: iso(device.linkedAt),
    lastSeenAt: iso(device.lastSeenAt),
  };
}

export const TagParams = Type.Object({ tagID: Id });
export const TagBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    color: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export const TagUpdateBody = Type.Partial(TagBody, { additionalProperties: false });
export const TagView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  color: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export function presentTag(tag: Tag) {
  return {
    id: tag.id,
    name: tag.name,
    description: tag.description,
    color: tag.color,
    createdAt: iso(tag.createdAt),
    updatedAt: iso(tag.updatedAt),
  };
}
