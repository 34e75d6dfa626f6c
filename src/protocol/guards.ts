// Small structural checks for data that crossed a process boundary and is `unknown` until accepted.

export type Guard<T> = (value: unknown) => value is T;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

export function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

export function isArrayOf<T>(value: unknown, guard: Guard<T>): value is T[] {
  return Array.isArray(value) && value.every((item) => guard(item));
}

/** An array of at most `max` items, each accepted by `guard`; the length is checked before any item. */
export function isBoundedArrayOf<T>(value: unknown, max: number, guard: Guard<T>): value is T[] {
  return Array.isArray(value) && value.length <= max && isArrayOf(value, guard);
}

/** `{ index, [key]: text }`: what the host made for the item at `index` (a picture's URI, say). */
export function isIndexedText<K extends string>(
  key: K,
  isText: Guard<string>,
): Guard<{ index: number } & Record<K, string>> {
  return (value: unknown): value is { index: number } & Record<K, string> =>
    isRecord(value) && isNonNegativeInteger(value.index) && isText(value[key]);
}

export function isOneOf<T extends string>(values: readonly T[]): Guard<T> {
  return (value: unknown): value is T =>
    typeof value === 'string' && (values as readonly string[]).includes(value);
}

export function hasType<K extends string>(
  value: unknown,
  type: K,
): value is Record<string, unknown> & { type: K } {
  return isRecord(value) && value.type === type;
}

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
