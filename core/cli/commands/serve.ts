import type { Command } from 'commander';
import { cliContext } from '../context.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('open the app in a web browser: serves the UI and the library on this machine')
    .option('--port <n>', 'port to listen on (0: a free one)', (value) => Number.parseInt(value, 10), 0)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--allow-remote', 'allow listening on a non-loopback address (anyone with the token can browse)')
    .action(async (options: { port: number; host: string; allowRemote?: boolean }, command: Command) => {
      const context = cliContext(command);
      const { DinoscopeService } = await import('../../server/dinoscope-service.ts');
      const { startWebServer } = await import('../../server/web-server.ts');
      const { ensureRendererBuilt } = await import('../../server/renderer-build.ts');
      const { nodeCliLauncher } = await import('../../jobs/cli-process.ts');
      const staticFolder = await ensureRendererBuilt((line) => process.stderr.write(`${line}\n`));
      const service = new DinoscopeService({
        libraryFile: context.libraryFile,
        launcher: nodeCliLauncher(context.libraryFile),
        transport: 'web',
      });
      const server = await startWebServer({
        service,
        staticFolder,
        host: options.host,
        port: options.port,
        allowRemote: options.allowRemote ?? false,
      });
      // The URL carries the token: it is the one line a script (or the e2e test) needs.
      process.stdout.write(
        context.events
          ? `${JSON.stringify({ type: 'serving', url: server.url })}\n`
          : `dinoscope is at ${server.url}\n`,
      );
      process.stderr.write(`Library: ${context.libraryFile}\nPress Ctrl-C to stop.\n`);
      await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));
      await server.close();
      await service.close();
    });
}
