/**
 * How `npm run import` shows progress: a progress bar on a terminal; otherwise (a pipe, a log file, CI) one line
 * every N resources loaded and one per finished file. Both count resources loaded — entries the server accepted —
 * not lines read.
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
      { format: 'import [{bar}] {value}/{total} files | {loaded} resources loaded | {file}', stream: out },
      cliProgress.Presets.shades_classic,
    );
    bar.start(files, 0, { loaded: 0, file: '' });
    return {
      onProgress: ({ file, loaded }) => bar.update({ loaded, file: name(file) }),
      onFile: ({ fileIndex, loaded }) => bar.update(fileIndex + 1, { loaded }),
      stop: () => bar.stop(),
    };
  }
  let reported = 0;
  return {
    onProgress: ({ file, loaded, fileIndex }) => {
      if (Math.floor(loaded / every) <= Math.floor(reported / every)) return;
      reported = loaded;
      out.write(`import: ${loaded} resources loaded (file ${fileIndex + 1}/${files}: ${name(file)})\n`);
    },
    onFile: ({ file, complete, fileIndex, loaded }) => {
      reported = loaded;
      out.write(
        `import: file ${fileIndex + 1}/${files} ${complete ? 'complete' : 'FAILED'}: ${name(file)} (${loaded} resources loaded)\n`,
      );
    },
    stop: () => undefined,
  };
}
