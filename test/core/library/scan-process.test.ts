import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../core/store/database.ts';
import * as make from './fixture-images.ts';

/**
 * The CLI as the app runs it (a child process printing JSON lines), stopped the two ways a scan
 * stops early: Ctrl-C (SIGINT) and a crash (SIGKILL).
 */
const cli = fileURLToPath(new URL('../../../core/cli/dinoscope.js', import.meta.url));
const FILES = 240;

interface Run {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function run(
  db: string,
  args: string[],
  onLine?: (line: Record<string, unknown>, child: ChildProcess) => void,
): Run {
  const child = spawn(process.execPath, [cli, '--db', db, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    onLine?.(line, child);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, lines, exit };
}

/** Sends `signal` once the scan has read `after` files. */
const stopAfter =
  (after: number, signal: NodeJS.Signals) => (line: Record<string, unknown>, child: ChildProcess) => {
    if (line.type === 'progress' && line.phase === 'reading images' && (line.done as number) >= after) {
      child.kill(signal);
    }
  };

const counts = (file: string) => {
  const db = openDatabase(file, { readonly: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      ok: (db.prepare("SELECT count(*) AS n FROM images WHERE status = 'ok'").get() as { n: number }).n,
      withoutPixels: (
        db
          .prepare(
            "SELECT count(*) AS n FROM images i WHERE status = 'ok' AND NOT EXISTS (SELECT 1 FROM image_pixels p WHERE p.image_id = i.id)",
          )
          .get() as { n: number }
      ).n,
      finished: (db.prepare('SELECT last_scan_finished_at AS at FROM folders').get() as { at: number | null })
        .at,
    };
  } finally {
    db.close();
  }
};

describe('the scan as a separate process', () => {
  let photos: string;
  beforeAll(async () => {
    photos = make.tempFolder('process-photos');
    for (let i = 0; i < FILES; i++) {
      make.writeFile(
        photos,
        `roll-${Math.floor(i / 60)}/img-${String(i).padStart(3, '0')}.jpg`,
        await make.noiseJpeg(640, 480, i),
      );
    }
  });

  it('refuses a folder that does not exist, naming it, and adds nothing', async () => {
    const db = join(make.tempFolder('process-db'), 'library.sqlite');
    const missing = join(photos, 'no-such-folder');
    const { exit } = run(db, ['add', photos, missing]);
    const { code, stderr } = await exit;
    expect(code).toBe(1);
    expect(stderr).toContain(`Folder not found: ${missing}`);
    expect(stderr).toContain('nothing was added');
    const library = openDatabase(db, { readonly: true });
    expect(library.prepare('SELECT count(*) AS n FROM folders').get()).toEqual({ n: 0 });
    library.close();
  });

  it('survives kill -9 mid-scan: integrity ok, at most the batch in flight lost, the next scan completes', async () => {
    const db = join(make.tempFolder('process-db'), 'library.sqlite');
    const killed = run(db, ['--events', 'add', photos], stopAfter(80, 'SIGKILL'));
    expect((await killed.exit).signal).toBe('SIGKILL');
    const afterCrash = counts(db);
    expect(afterCrash.integrity).toBe('ok');
    expect(afterCrash.finished).toBeNull();
    expect(afterCrash.withoutPixels).toBe(0);
    const reading = killed.lines.filter(
      (line) => line.type === 'progress' && line.phase === 'reading images',
    );
    const read = Math.max(...reading.map((line) => line.done as number));
    // Everything but the uncommitted batch (32 files) and the files in flight (4) was kept.
    expect(afterCrash.ok, JSON.stringify(reading.map((line) => line.done))).toBeGreaterThanOrEqual(
      read - 32 - 4,
    );
    expect(afterCrash.ok).toBeLessThan(FILES);

    const resumed = run(db, ['--events', 'scan']);
    expect((await resumed.exit).code).toBe(0);
    const result = resumed.lines.find((line) => line.type === 'result')?.result as Record<string, number>;
    expect(result).toMatchObject({ unchanged: afterCrash.ok, added: FILES - afterCrash.ok, errors: 0 });
    expect(counts(db)).toMatchObject({ integrity: 'ok', ok: FILES, withoutPixels: 0 });
  });

  it('stops cleanly on Ctrl-C (exit 130, work saved) and the next scan picks up where it stopped', async () => {
    const db = join(make.tempFolder('process-db'), 'library.sqlite');
    const interrupted = run(db, ['--events', 'add', photos], stopAfter(40, 'SIGINT'));
    const { code, stderr } = await interrupted.exit;
    expect(code).toBe(130);
    expect(stderr).toContain('Stopping after the work in flight is saved');
    const result = interrupted.lines.find((line) => line.type === 'result')?.result as Record<string, number>;
    expect(result.cancelled).toBe(true);
    const saved = counts(db);
    expect(saved.ok).toBe(result.added);
    expect(saved.finished).toBeNull();

    const status = run(db, ['status', '--json']);
    await status.exit;
    expect(status.lines[0]).toMatchObject({ unfinishedScan: true, counts: { ok: saved.ok, error: 0 } });

    const resumed = run(db, ['scan']);
    const done = await resumed.exit;
    expect(done.code).toBe(0);
    expect(counts(db)).toMatchObject({ ok: FILES, integrity: 'ok' });
    expect(counts(db).finished).not.toBeNull();
  });
});
