// A job process for stop-request.test.ts: started as the CLI is (`ENTRY --db FILE --events MODE`),
// it listens for stop requests as core/cli/main.ts does and then behaves as MODE says.
import { register } from 'tsx/esm/api';

register();
const { listenForStopRequests } = await import('../../../core/jobs/stop-request.ts');
const mode = process.argv[process.argv.indexOf('--events') + 1];
const stopListening = listenForStopRequests();
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

if (mode === 'finishes') {
  say({ type: 'result', result: { done: true } });
  stopListening();
} else {
  const alive = setInterval(() => {}, 1000);
  if (mode === 'saves') {
    // Like a command: on Ctrl-C or SIGTERM it saves what it has and ends normally.
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.once(signal, () => {
        say({ type: 'result', result: { savedOn: signal } });
        clearInterval(alive);
        stopListening();
      });
    }
  } else if (mode === 'ignores') {
    process.on('SIGINT', () => {});
  }
  say({
    type: 'progress',
    job: mode,
    done: 0,
    total: 1,
    ratePerSecond: 0,
    etaSeconds: null,
    elapsedSeconds: 0,
  });
}
