import { createPaint, cursorUp, stripControls, wantsColor } from '../../src/cli/ansi';

describe('wantsColor', () => {
  it('colors only a terminal, without --no-color and without a non-empty NO_COLOR', () => {
    expect(wantsColor(true, {}, true)).toBe(true);
    expect(wantsColor(true, { NO_COLOR: '' }, true)).toBe(true);
    expect(wantsColor(true, { NO_COLOR: '1' }, true)).toBe(false);
    expect(wantsColor(false, {}, true)).toBe(false);
    expect(wantsColor(true, {}, false)).toBe(false);
  });
});

describe('createPaint', () => {
  it('wraps in SGR codes when enabled and is the identity otherwise', () => {
    expect(createPaint(true).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(createPaint(true).red('')).toBe('');
    expect(createPaint(false).red('x')).toBe('x');
  });
});

describe('stripControls', () => {
  it('drops CSI, OSC and bare escapes and control characters, keeping tab and newline', () => {
    expect(stripControls('a\u001b[2J\u001b[1;31mb\u001b]0;title\u0007c\u001bMd\r\n\te\u0000\u009bf')).toBe('abcd\n\tef');
  });
});

describe('cursorUp', () => {
  it('moves up to the start of a line, or not at all for 0', () => {
    expect(cursorUp(3)).toBe('\u001b[3F');
    expect(cursorUp(0)).toBe('');
  });
});
