/** Resolves the plugin's `fusion` option to a strategy. */
import type { FusionStrategy } from '../ports';
import { bestFusion } from './fusion-best';
import { firstFusion } from './fusion-first';
import { sectionsFusion } from './fusion-sections';

/** The built-in fusion strategies by name. */
export type FusionName = 'best' | 'first' | 'sections';

const builtIns: Readonly<Record<FusionName, () => FusionStrategy>> = {
  best: () => bestFusion(),
  first: () => firstFusion(),
  sections: () => sectionsFusion(),
};

const names = Object.keys(builtIns).map((name) => `'${name}'`).join(', ');

const isName = (value: string): value is FusionName => Object.hasOwn(builtIns, value);

/** What is wrong with a would-be strategy object, or undefined if it has the FusionStrategy shape. */
const problemWith = (value: object): string | undefined => {
  const s = value as Partial<Record<keyof FusionStrategy, unknown>>;
  if (typeof s.id !== 'string' || s.id.trim() === '') return 'id must be a non-empty string';
  if (typeof s.version !== 'string' || s.version.trim() === '') return 'version must be a non-empty string';
  if (typeof s.orderSensitive !== 'boolean') return 'orderSensitive must be a boolean';
  if (typeof s.fuse !== 'function') return 'fuse must be a function';
  if (s.mode !== undefined && s.mode !== 'select' && s.mode !== 'generate') return "mode must be 'select' or 'generate' when given";
  return undefined;
};

/**
 * The strategy for a built-in name ('best' when undefined) or the given strategy object itself.
 * Throws a TypeError naming the valid choices for an unknown name or a malformed object.
 */
export const resolveFusion = (fusion: FusionName | FusionStrategy | undefined): FusionStrategy => {
  if (fusion === undefined) return builtIns.best();
  if (typeof fusion === 'string') {
    if (isName(fusion)) return builtIns[fusion]();
    throw new TypeError(`Unknown fusion '${fusion}': use one of ${names}, or a FusionStrategy object`);
  }
  if (typeof fusion !== 'object' || fusion === null) {
    throw new TypeError(`Invalid fusion option (${fusion === null ? 'null' : typeof fusion}): use one of ${names}, or a FusionStrategy object`);
  }
  const problem = problemWith(fusion);
  if (problem !== undefined) {
    throw new TypeError(`Invalid fusion strategy: ${problem}; use one of ${names}, or a FusionStrategy object`);
  }
  return fusion;
};
