import { FuseV1Options } from '@electron/fuses';
import { describe, expect, it } from 'vitest';
import config, { isIgnoredByPackage } from '../../forge.config.ts';

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

  it('makes a download for Linux, macOS and Windows', () => {
    const platforms = new Set(
      (config.makers ?? []).flatMap((maker) => (maker as { platforms?: string[] }).platforms ?? []),
    );
    for (const platform of ['linux', 'darwin', 'win32']) expect(platforms.has(platform), platform).toBe(true);
  });

  it('packages the built app and node_modules, never the sources or scratch folders', () => {
    for (const kept of [
      '/package.json',
      '/.vite',
      '/.vite/engine/dinoscope.js',
      '/.vite/renderer/main_window/index.html',
      '/node_modules/sharp/package.json',
    ]) {
      expect(isIgnoredByPackage(kept), kept).toBe(false);
    }
    for (const ignored of [
      '/core/api.ts',
      '/test',
      '/forge.config.ts',
      '/.vite/web/index.html',
      '/.vite/engine-test-x/a.js',
      '/out/x',
      '/README.md',
    ]) {
      expect(isIgnoredByPackage(ignored), ignored).toBe(true);
    }
  });
});
