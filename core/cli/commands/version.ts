import type { Command } from 'commander';
import packageJson from '../../../package.json' with { type: 'json' };

export function register(program: Command): void {
  program.version(packageJson.version, '-V, --version', 'print the dinoscope version');
}
