import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/**
 * Headers and payload are stored together as one compressed blob. GitLab payloads compress
 * 3-5x (a 5 KB pipeline event becomes ~1.1 KB), which keeps a record near one write unit
 * (1 KB) and big pushes far under DynamoDB's 400 KB item limit. Brotli quality 5 compresses
 * a typical payload in well under a millisecond; higher qualities gain little on JSON this size.
 */
const BROTLI_QUALITY = 5;

export interface StoredBody {
  headers: Record<string, string>;
  payload: string;
}

export function encodeBody(body: StoredBody): Uint8Array {
  return brotliCompressSync(JSON.stringify(body), {
    params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY },
  });
}

export function decodeBody(bytes: Uint8Array): StoredBody {
  const parsed = JSON.parse(brotliDecompressSync(bytes).toString('utf8')) as StoredBody;
  return { headers: parsed.headers ?? {}, payload: parsed.payload ?? '' };
}
