import { firstValueFrom, filter } from 'rxjs';
import { isTerminal } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { isRequestId } from '../../src/strategies/request-id';

describe('isRequestId', () => {
  const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })], cache: false });
  afterAll(() => plugin.close());

  it.each([
    ['r1', true], ['a.b_c:d-e', true], ['9', true], ['x'.repeat(128), true],
    ['', false], ['-r', false], ['.r', false], ['bad id', false], ['r/1', false], ['x'.repeat(129), false], ['é', false], [42, false], [null, false],
  ])('%j -> %s, exactly as the pipeline decides', async (value, expected) => {
    expect(isRequestId(value)).toBe(expected);
    const terminal = await firstValueFrom(plugin.process('hi', { requestId: value as string }).pipe(filter(isTerminal)));
    expect(terminal.type === 'error' && terminal.error.kind === 'validation').toBe(!expected);
  });
});
