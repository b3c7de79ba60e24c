#!/usr/bin/env node
// The `dinoscope` command. The engine is TypeScript run as-is through tsx's loader, so a
// clone works right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
