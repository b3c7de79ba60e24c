import { FuseV1Options } from '@electron/fuses';
import { describe, expect, it } from 'vitest';
import config from '../../forge.config.ts';

describe('forge.config.ts', () => {
  it('sets the fuses the Electron security checklist asks for', () => {
    const fuses = config.plugins?.find((plugin) => 'fusesConfig' in (plugin as object)) as
      | { fusesConfig: Record<number, boolean> }
      | undefined;
    expect(fuses).toBeDefined();
    expect(fuses?.fusesConfig[FuseV1Options.RunAsNode]).toBe(false);
    expect(fuses?.fusesConfig[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(fuses?.fusesConfig[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(fuses?.fusesConfig[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
  });

  it('unpacks native modules from the asar archive', () => {
    const asar = config.packagerConfig?.asar as { unpack?: string };
    expect(asar.unpack).toMatch(/node/);
    expect(config.plugins?.some((plugin) => plugin.constructor.name === 'AutoUnpackNativesPlugin')).toBe(
      true,
    );
  });
});
