import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB item sizes as DynamoDB bills them (developer guide, "Item sizes"): what decides how
 * many write units a write costs. The state store uses it to decide when to compress a value;
 * the bench's meter (bench/dynamo-meter.ts) to compute index writes dynalite does not report.
 */

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  // A number takes about one byte per two significant digits, plus one (DynamoDB developer guide, "Item sizes").
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + valueSize({ N: n }), 0);
  if (value.BS) return value.BS.reduce((sum, b) => sum + b.length, 0);
  if (value.L) return 3 + value.L.reduce((sum, element) => sum + valueSize(element) + 1, 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + Buffer.byteLength(name) + valueSize(element) + 1, 0);
  return 0;
}

/** An item's size as DynamoDB counts it: attribute names plus values (DynamoDB developer guide, "Item sizes"). */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

/** Write units for an item of this size: one per 1 KB, at least one. */
export function writeUnitsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}
