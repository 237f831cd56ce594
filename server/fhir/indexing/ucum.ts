/**
 * UCUM canonical forms for simple, linearly convertible units, so that `5 mg` and `0.005 g` index alike.
 * Covered: mass (→ g: kg g mg ug/mcg ng [lb_av] [oz_av]), length (→ m: km m cm mm um [in_i] [ft_i]),
 * time (→ s: ms s min h d wk mo a), volume (→ L: L l dL mL uL), amount (→ mol: mol mmol umol nmol),
 * and ratios of two of these written `a/b` (e.g. mg/dL → g/L, mmol/L → mol/L).
 * Anything else (temperature, annotations, compound powers) has no canonical form.
 */
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

const SIMPLE = {
  g: ['g', 1],
  kg: ['g', 1e3],
  mg: ['g', 1e-3],
  ug: ['g', 1e-6],
  mcg: ['g', 1e-6],
  ng: ['g', 1e-9],
  '[lb_av]': ['g', 453.59237],
  '[oz_av]': ['g', 28.349523125],
  m: ['m', 1],
  km: ['m', 1e3],
  cm: ['m', 1e-2],
  mm: ['m', 1e-3],
  um: ['m', 1e-6],
  '[in_i]': ['m', 0.0254],
  '[ft_i]': ['m', 0.3048],
  s: ['s', 1],
  ms: ['s', 1e-3],
  min: ['s', 60],
  h: ['s', 3600],
  d: ['s', 86400],
  wk: ['s', 604800],
  mo: ['s', 2629800],
  a: ['s', 31557600],
  L: ['L', 1],
  l: ['L', 1],
  dL: ['L', 0.1],
  mL: ['L', 1e-3],
  uL: ['L', 1e-6],
  mol: ['mol', 1],
  mmol: ['mol', 1e-3],
  umol: ['mol', 1e-6],
  nmol: ['mol', 1e-9],
} as const satisfies Record<string, readonly [string, number]>;

type SimpleUnit = keyof typeof SIMPLE;

function simple(code: string): readonly [string, number] | undefined {
  return Object.hasOwn(SIMPLE, code) ? SIMPLE[code as SimpleUnit] : undefined;
}

/** The canonical value and unit code of `value code` (UCUM), or undefined when not convertible here. */
export function ucumCanonical(value: number, code: string): { value: number; code: string } | undefined {
  const one = simple(code);
  if (one) return { value: roundSignificant(value * one[1]), code: one[0] };
  const slash = code.indexOf('/');
  if (slash <= 0 || slash !== code.lastIndexOf('/')) return undefined;
  const top = simple(code.slice(0, slash));
  const bottom = simple(code.slice(slash + 1));
  if (!top || !bottom) return undefined;
  return { value: roundSignificant((value * top[1]) / bottom[1]), code: `${top[0]}/${bottom[0]}` };
}

/** Drops binary floating-point noise (0.1 * 3 → 0.3) by keeping 15 significant digits. */
function roundSignificant(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(15));
}
