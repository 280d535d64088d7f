import { TestScheduler } from 'rxjs/testing';
import { FusionError } from '../../src/errors';
import type { ExpertAnswer, FusionContext } from '../../src/ports';
import { collectSync } from '../support/collect-sync';
import { sectionsFusion } from '../../src/strategies/fusion-sections';

const answer = (expertId: string, text: string): ExpertAnswer => ({ expertId, text, ms: 10, tokens: 1 });

const answers = [answer('alpha', ' Alpha says hi.'), answer('beta', 'Beta says\nhello.\n'), answer('gamma', 'Gamma.')];

const contextFor = (scheduler: TestScheduler): FusionContext => ({
  prompt: 'p',
  plan: { id: 'p1', intent: 'chat', tasks: [], fusion: { id: 'sections', version: '1' } },
  scheduler,
});

const collect = collectSync;

describe('sectionsFusion', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('declares id, version, order sensitivity and generate mode', () => {
    const s = sectionsFusion();
    expect({ id: s.id, version: s.version, orderSensitive: s.orderSensitive, mode: s.mode })
      .toEqual({ id: 'sections', version: '1', orderSensitive: true, mode: 'generate' });
  });

  it('streams one emission per section, later ones starting with a blank-line separator', () => {
    scheduler.run(({ expectObservable }) => {
      expectObservable(sectionsFusion().fuse(answers, contextFor(scheduler))).toBe('(abc|)', {
        a: '### alpha\n\nAlpha says hi.',
        b: '\n\n### beta\n\nBeta says\nhello.',
        c: '\n\n### gamma\n\nGamma.',
      });
    });
  });

  it('concatenates to the whole text: every answer under its heading, separated by blank lines', () => {
    const { values } = collect(sectionsFusion().fuse(answers, contextFor(scheduler)));
    expect(values.join('')).toBe('### alpha\n\nAlpha says hi.\n\n### beta\n\nBeta says\nhello.\n\n### gamma\n\nGamma.');
  });

  it('uses a custom heading with the expert id and index', () => {
    const { values } = collect(sectionsFusion({ heading: (id, i) => `**${i + 1}. ${id}**` }).fuse(answers.slice(0, 2), contextFor(scheduler)));
    expect(values).toEqual(['**1. alpha**\n\nAlpha says hi.', '\n\n**2. beta**\n\nBeta says\nhello.']);
  });

  it('writes a single answer without any separator', () => {
    expect(collect(sectionsFusion().fuse([answer('solo', 'Just me')], contextFor(scheduler))).values).toEqual(['### solo\n\nJust me']);
  });

  it('errors with a FusionError on no answers', () => {
    scheduler.run(({ expectObservable }) => {
      expectObservable(sectionsFusion().fuse([], contextFor(scheduler))).toBe('#', undefined, expect.objectContaining({ _tag: 'FusionError', strategyId: 'sections' }));
    });
  });

  it('errors with a FusionError, emitting nothing, when the heading function throws', () => {
    const { values, error } = collect(sectionsFusion({ heading: () => { throw new Error('bad heading'); } }).fuse(answers, contextFor(scheduler)));
    expect(values).toEqual([]);
    expect(FusionError.isInstance(error)).toBe(true);
  });
});
