import { useState } from 'react';
import { useApp } from '../app-state.tsx';
import { bridge } from '../bridge.ts';

/**
 * Where a file should be written: the native save dialog in the app, a text field in a browser
 * (a web page cannot see the server's disk).
 */
export function SavePathField({
  value,
  onChange,
  suggestedName,
  extensions,
  label,
}: {
  value: string;
  onChange(path: string): void;
  suggestedName: string;
  extensions: string[];
  label: string;
}) {
  const { info, run } = useApp();
  const [busy, setBusy] = useState(false);
  return (
    <div className="path-field">
      <label>
        <span>{label}</span>
        <input
          type="text"
          value={value}
          spellCheck={false}
          placeholder={`/home/you/${suggestedName}`}
          onChange={(event) => onChange(event.target.value)}
        />
      </label>
      {info?.nativeDialogs && (
        <button
          type="button"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            const path = await run(() =>
              bridge.invoke('dialog.chooseSaveFile', { suggestedName, extensions }),
            );
            setBusy(false);
            if (path) onChange(path);
          }}
        >
          Choose…
        </button>
      )}
    </div>
  );
}
