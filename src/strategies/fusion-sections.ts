/** The `sections` fusion: every answer under its own heading. */
import { defer, from } from 'rxjs';
import { FusionError } from '../errors';
import type { FusionStrategy } from '../ports';

/** Options for {@link sectionsFusion}. */
export interface SectionsFusionOptions {
  /** The heading line for the answer at `index` (plan order). Default: `### <expertId>`. */
  readonly heading?: (expertId: string, index: number) => string;
}

const defaultHeading = (expertId: string): string => `### ${expertId}`;

/**
 * Writes each answer (trimmed) under its heading, sections separated by a blank line, in plan
 * order. Streams one emission per section: the first as is, later ones prefixed with "\n\n",
 * so the emissions concatenate to the whole text. Mode 'generate'. No answers, or a heading
 * function that throws, errors with a FusionError.
 */
export const sectionsFusion = ({ heading = defaultHeading }: SectionsFusionOptions = {}): FusionStrategy => ({
  id: 'sections',
  version: '1',
  orderSensitive: true,
  mode: 'generate',
  fuse: (answers) =>
    defer(() => {
      if (answers.length === 0) throw new FusionError('sections', 'sections fusion: no answers to write');
      let sections: string[];
      try {
        sections = answers.map((answer, index) => `${index === 0 ? '' : '\n\n'}${heading(answer.expertId, index)}\n\n${answer.text.trim()}`);
      } catch (cause) {
        throw new FusionError('sections', 'sections fusion: the heading function failed', { cause });
      }
      return from(sections);
    }),
});
