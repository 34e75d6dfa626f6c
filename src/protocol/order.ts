// The one string order for everything a run records (class names, file lists, digests): UTF-16 code
// units, the same on every machine and locale, unlike localeCompare.
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
