import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.js';

/** Counts bytes coming out of the decompressor and stops at the limit (a zip bomb costs nothing). */
class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      done(
        new AppError('body_too_large', `The decompressed body is larger than ${this.limit} bytes.`),
      );
      return;
    }
    done(null, chunk);
  }
}

/**
 * Accepts `Content-Encoding: gzip` (and `deflate`) request bodies, as the tracking SDKs send
 * them, and applies the body limit to the *decompressed* size. Other encodings answer 415.
 */
export function registerCompressedBodies(app: FastifyInstance, maxDecompressedBytes: number): void {
  // Written with `done`, not async: it runs for every request, GETs included.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const header = request.headers['content-encoding'];
    const encoding = header === undefined ? '' : String(header).trim().toLowerCase();
    if (encoding === 'identity' || encoding === '') return done(null, payload);
    if (encoding !== 'gzip' && encoding !== 'deflate' && encoding !== 'x-gzip') {
      return done(
        new AppError('unsupported_media_type', `Content-Encoding ${encoding} is not supported.`),
      );
    }
    const decompressor = encoding === 'deflate' ? createInflate() : createGunzip();
    const limited = new ByteLimit(maxDecompressedBytes);
    decompressor.on('error', (error) =>
      limited.destroy(
        new AppError('invalid_json', `The ${encoding} body is corrupt: ${error.message}`),
      ),
    );
    // A client hanging up mid-body: `pipe` would not pass that on, and the body would never end.
    payload.on('error', (error) => limited.destroy(error));
    // Fastify checks the received length against the body limit; the stream no longer has one.
    delete request.headers['content-length'];
    done(null, payload.pipe(decompressor).pipe(limited));
  });
}
