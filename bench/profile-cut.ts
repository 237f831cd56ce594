/**
 * A server's V8 CPU profile (written by --cpu-prof when it stops) cut to measured windows: one `.cpuprofile` per window
 * beside the whole one (`CPU.<date>.<time>.<pid>.<tid>.<seq>.<window>.cpuprofile`), so that start-up, warm-up and the
 * other phases stay out of a phase's profile (bench/profile-summary.ts reads either). Windows are on CLOCK_MONOTONIC
 * in µs, the profile's clock.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type CpuProfile = { samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

/** Node's own name for the whole profile of a process (a cut one has one more part before the extension). */
const WHOLE_PROFILE = /^CPU(\.\d+){5}\.cpuprofile$/;

export function cutProfile(tool: string, dir: string, pid: number, windows: Record<string, [number, number]>): void {
  const file = readdirSync(dir).find((f) => WHOLE_PROFILE.test(f) && f.includes(`.${pid}.`));
  if (!file) {
    console.error(`${tool}: no CPU profile of process ${pid} in ${dir}`);
    return;
  }
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  for (const [window, [from, to]] of Object.entries(windows)) {
    const samples: number[] = [];
    const timeDeltas: number[] = [];
    let at = profile.startTime;
    let previous = from;
    profile.samples.forEach((sample, i) => {
      at += profile.timeDeltas[i] ?? 0;
      if (at < from || at > to) return;
      samples.push(sample);
      timeDeltas.push(at - previous);
      previous = at;
    });
    const cut = { ...profile, samples, timeDeltas, startTime: from, endTime: to };
    writeFileSync(join(dir, `${file.replace(/\.cpuprofile$/, '')}.${window}.cpuprofile`), JSON.stringify(cut));
  }
}
