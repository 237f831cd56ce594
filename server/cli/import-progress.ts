/**
 * How `npm run import` shows progress, always as a running total of the whole run (not of the current file): a
 * progress bar on a terminal; otherwise (a pipe, a log file, CI) one line every N resources loaded and one per
 * finished file. Both count resources loaded — entries the server accepted — and entries that failed.
 */
import cliProgress from 'cli-progress';
import type { ImportOptions } from './bulk-import.js';

export type ProgressReporter = Pick<ImportOptions, 'onProgress' | 'onFile'> & { stop(): void };

export function progressReporter(
  files: number,
  out: NodeJS.WriteStream = process.stdout,
  every = 1000,
): ProgressReporter {
  const name = (file: string) => file.split('/').pop() ?? file;
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: 'import [{bar}] {value}/{total} files | {loaded} resources loaded, {failed} failed | {file}',
        stream: out,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(files, 0, { loaded: 0, failed: 0, file: '' });
    return {
      onProgress: ({ file, loaded, failed }) => bar.update({ loaded, failed, file: name(file) }),
      onFile: ({ fileIndex, loaded, failed }) => bar.update(fileIndex + 1, { loaded, failed }),
      stop: () => bar.stop(),
    };
  }
  let reported = 0;
  const total = (loaded: number, failed: number) => `${loaded} resources loaded, ${failed} failed`;
  return {
    onProgress: ({ file, loaded, failed, fileIndex }) => {
      if (Math.floor(loaded / every) <= Math.floor(reported / every)) return;
      reported = loaded;
      out.write(`import: ${total(loaded, failed)} (file ${fileIndex + 1}/${files}: ${name(file)})\n`);
    },
    onFile: ({ file, complete, fileIndex, loaded, failed }) => {
      reported = loaded;
      out.write(
        `import: ${fileIndex + 1}/${files} files, ${total(loaded, failed)} — ${complete ? 'complete' : 'FAILED'}: ${name(file)}\n`,
      );
    },
    stop: () => undefined,
  };
}
