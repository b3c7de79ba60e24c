/**
 * The benches' `--config-overrides key=value` (repeatable): any training setting, the value read as
 * JSON where it is JSON (numbers, booleans, arrays) and as the plain string otherwise.
 */
export function parseConfigOverrides(pairs: string[]): Record<string, unknown> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`--config-overrides ${pair}: expected key=value`);
      const text = pair.slice(at + 1);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
      return [pair.slice(0, at), value];
    }),
  );
}
