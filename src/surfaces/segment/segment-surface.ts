import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Authenticators, registerAuth } from '../../platform/auth.js';
import { registerCompressedBodies } from '../../platform/compressed-body.js';
import { registerJsonParser } from '../../platform/json-body.js';
import { MAX_BATCH_BYTES, mendFreeFormValues, writeKeyOf } from './segment-body.js';
import { registerSegmentErrors } from './segment-errors.js';
import { type SegmentServices, trackingRoutes } from './tracking-routes.js';

export interface SegmentSurfaceOptions {
  services: SegmentServices;
  auth: Authenticators;
  maxJsonDepth: number;
}

/**
 * The Segment-compatible tracking API, mounted at `/v1` next to the native API (whose scope owns
 * the `/v1` not-found handler). Write keys only, as HTTP Basic user or `writeKey` in the body.
 * Every body is read as JSON whatever its declared type, because the SDKs disagree about it
 * (RudderStack posts gzip as `application/x-www-form-urlencoded`); gzip is limited to 1 MiB
 * once decompressed.
 */
export const segmentSurface: FastifyPluginAsyncTypebox<SegmentSurfaceOptions> = async (
  app,
  opts,
) => {
  app.removeAllContentTypeParsers();
  registerJsonParser(app, '*', opts.maxJsonDepth, mendFreeFormValues);
  registerCompressedBodies(app, MAX_BATCH_BYTES);
  registerSegmentErrors(app);
  registerAuth(app, opts.auth, {
    surface: 'segment',
    accept: ['write_key'],
    writeKeyFromBody: writeKeyOf,
  });
  await app.register(trackingRoutes(opts.services));
};
